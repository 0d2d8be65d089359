using System.Globalization;
using System.Text;
using System.Text.Json;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.EventStore;
using Npgsql;
using NodaTime;

namespace EventCase.Cases.ReadModels.WorkQueues;

/// <summary>
/// Reads work queues (<see cref="WorkQueueProjection"/>): the open cases of an agency, a team or an agent, most
/// urgent first — escalation level DESC, priority DESC, SLA due ASC (paused cases last), case id ASC — with keyset
/// paging through an opaque cursor. Thread safe; share one instance.
/// </summary>
/// <param name="store">The store the projection is registered with.</param>
public sealed class WorkQueueQueries(PostgresEventStore store)
{
    private readonly string _table = $"{store.Options.Schema}.{WorkQueueProjection.ProjectionName}";

    /// <summary>
    /// One page of the queue. Pages never repeat or skip a case that stays put in the queue while someone pages
    /// through it (the cursor holds the sort key of the last row, not an offset).
    /// </summary>
    /// <param name="agency">The agency (tenant).</param>
    /// <param name="scope">Whose queue.</param>
    /// <param name="filter">Filters, or null for none.</param>
    /// <param name="now">The instant "breached" is judged at (due instants are stored; breaches are not).</param>
    /// <param name="pageSize">1–1000 items.</param>
    /// <param name="cursor">The previous page's <see cref="ReadModelPage{T}.NextCursor"/>, or null for the first page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException">The cursor is not one this query returned.</exception>
    public async Task<ReadModelPage<WorkQueueItem>> PageAsync(
        string agency, WorkQueueScope scope, WorkQueueFilter? filter, Instant now, int pageSize = 50, string? cursor = null, CancellationToken cancellationToken = default)
    {
        await using var command = BuildPageCommand(agency, scope, filter, now, pageSize, cursor);
        var items = new List<WorkQueueItem>();
        string? next = null;
        var last = (Rank: 0, DueTicks: 0L, Key: string.Empty);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (items.Count == pageSize)
            {
                next = ReadModelText.EncodeCursor(
                    last.Rank.ToString(CultureInfo.InvariantCulture), last.DueTicks.ToString(CultureInfo.InvariantCulture), last.Key);
                break;
            }

            var row = JsonSerializer.Deserialize<CaseSummaryRow>(reader.GetString(0), store.Serializer.Options)
                ?? throw new JsonException("A work queue row is null.");
            items.Add(WorkQueueItem.From(row, now));
            last = (reader.GetInt32(1), reader.GetDateTime(2).Ticks, reader.GetString(3));
        }

        return new ReadModelPage<WorkQueueItem>(items, next);
    }

    /// <summary>The page query (exposed to tests, which EXPLAIN it).</summary>
    internal NpgsqlCommand BuildPageCommand(string agency, WorkQueueScope scope, WorkQueueFilter? filter, Instant now, int pageSize, string? cursor)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 1000);
        filter ??= new WorkQueueFilter();
        var command = store.DataSource.CreateCommand();
        var sql = new StringBuilder($"SELECT row_data::text, urgency_rank, sort_due, row_key FROM {_table} WHERE tenant_id = $1 AND queued");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        string P(NpgsqlParameter parameter)
        {
            command.Parameters.Add(parameter);
            return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        switch (scope)
        {
            case WorkQueueScope.TeamScope team:
                sql.Append(" AND team = ").Append(P(new NpgsqlParameter<string> { TypedValue = team.Team }));
                break;
            case WorkQueueScope.AssigneeScope assignee:
                sql.Append(" AND assignee = ").Append(P(new NpgsqlParameter<string> { TypedValue = assignee.Agent }));
                break;
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            sql.Append(" AND status = ANY(").Append(P(new NpgsqlParameter<string[]> { TypedValue = [.. statuses.Select(ReadModelText.Name)] })).Append(')');
        }

        if (filter.Service is { } service)
        {
            sql.Append(" AND service = ").Append(P(new NpgsqlParameter<string> { TypedValue = service }));
        }

        if (filter.Unassigned is { } unassigned)
        {
            sql.Append(unassigned ? " AND assignee IS NULL" : " AND assignee IS NOT NULL");
        }

        if (filter.Breached is { } breached)
        {
            var at = P(new NpgsqlParameter<DateTime> { TypedValue = now.ToDateTimeUtc() });
            sql.Append(breached
                ? $" AND (sla_breached_at IS NOT NULL OR sla_due < {at})"
                : $" AND sla_breached_at IS NULL AND (sla_due IS NULL OR sla_due >= {at})");
        }

        if (filter.Area is { } area)
        {
            sql.Append(" AND latitude BETWEEN ").Append(P(new NpgsqlParameter<double> { TypedValue = area.South }))
                .Append(" AND ").Append(P(new NpgsqlParameter<double> { TypedValue = area.North }))
                .Append(" AND longitude BETWEEN ").Append(P(new NpgsqlParameter<double> { TypedValue = area.West }))
                .Append(" AND ").Append(P(new NpgsqlParameter<double> { TypedValue = area.East }));
        }

        if (cursor is not null)
        {
            var parts = ReadModelText.DecodeCursor(cursor, 3);
            if (!int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rank)
                || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks))
            {
                throw new ArgumentException("The cursor is not one this query returned.", nameof(cursor));
            }

            sql.Append(" AND (urgency_rank, sort_due, row_key) > (")
                .Append(P(new NpgsqlParameter<int> { TypedValue = rank })).Append(", ")
                .Append(P(new NpgsqlParameter<DateTime> { TypedValue = new DateTime(ticks, DateTimeKind.Utc) })).Append(", ")
                .Append(P(new NpgsqlParameter<string> { TypedValue = parts[2] })).Append(')');
        }

        sql.Append(" ORDER BY urgency_rank, sort_due, row_key LIMIT ").Append(P(new NpgsqlParameter<int> { TypedValue = pageSize + 1 }));
        command.CommandText = sql.ToString();
        return command;
    }
}

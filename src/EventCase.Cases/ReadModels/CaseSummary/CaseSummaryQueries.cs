using System.Globalization;
using System.Text;
using System.Text.Json;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using Npgsql;
using NodaTime;

namespace EventCase.Cases.ReadModels.CaseSummary;

/// <summary>Which case summaries to list. Every filter is optional; they combine with AND.</summary>
/// <param name="Statuses">Only these statuses.</param>
/// <param name="Services">Only these services (one of them).</param>
/// <param name="Team">Only cases of this team.</param>
/// <param name="Assignee">Only cases of this agent.</param>
/// <param name="CitizenReference">Only cases this citizen asked for.</param>
/// <param name="OpenedFrom">Opened at or after.</param>
/// <param name="OpenedBefore">Opened before.</param>
public sealed record CaseSummaryFilter(
    IReadOnlyList<CaseStatus>? Statuses = null,
    IReadOnlyList<string>? Services = null,
    string? Team = null,
    string? Assignee = null,
    string? CitizenReference = null,
    Instant? OpenedFrom = null,
    Instant? OpenedBefore = null);

/// <summary>A page of results and the cursor of the next page (null on the last page).</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items, in the query's order.</param>
/// <param name="NextCursor">Pass it back to get the next page; null when there is none.</param>
public sealed record ReadModelPage<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Reads the case summary (<see cref="CaseSummaryProjection"/>). Every query is scoped to one agency (tenant).
/// Thread safe; share one instance.
/// </summary>
/// <param name="store">The store the projection is registered with (its data source, schema and JSON options).</param>
public sealed class CaseSummaryQueries(PostgresEventStore store)
{
    private readonly string _table = $"{store.Options.Schema}.{CaseSummaryProjection.ProjectionName}";

    /// <summary>The case's summary, or null when there is no such case.</summary>
    public async Task<CaseSummaryRow?> GetAsync(string agency, string caseId, CancellationToken cancellationToken = default)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT row_data::text FROM {_table} WHERE tenant_id = $1 AND row_key = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? Read(json) : null;
    }

    /// <summary>The case with the number citizens quote (<c>BOS-2026-000123</c>), or null.</summary>
    public async Task<CaseSummaryRow?> GetByNumberAsync(string agency, string caseNumber, CancellationToken cancellationToken = default)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT row_data::text FROM {_table} WHERE tenant_id = $1 AND case_number = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseNumber });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? Read(json) : null;
    }

    /// <summary>
    /// Lists cases newest first (by opening instant, then case id descending), <paramref name="pageSize"/> at a time.
    /// Keyset paging: a page is found from the last row of the previous one, so appends in between neither repeat
    /// nor skip rows.
    /// </summary>
    /// <exception cref="ArgumentException">The cursor is not one this query returned.</exception>
    public async Task<ReadModelPage<CaseSummaryRow>> ListAsync(
        string agency, CaseSummaryFilter? filter = null, int pageSize = 50, string? cursor = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 1000);
        filter ??= new CaseSummaryFilter();
        await using var command = store.DataSource.CreateCommand();
        var sql = new StringBuilder($"SELECT row_data::text, opened_at, row_key FROM {_table} WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        void Where(string condition, NpgsqlParameter parameter)
        {
            command.Parameters.Add(parameter);
            sql.Append(" AND ").Append(condition.Replace("@", "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            Where("status = ANY(@)", new NpgsqlParameter<string[]> { TypedValue = [.. statuses.Select(ReadModelText.Name)] });
        }

        if (filter.Services is { Count: > 0 } services)
        {
            Where("service = ANY(@)", new NpgsqlParameter<string[]> { TypedValue = [.. services] });
        }

        if (filter.Team is { } team)
        {
            Where("team = @", new NpgsqlParameter<string> { TypedValue = team });
        }

        if (filter.Assignee is { } assignee)
        {
            Where("assignee = @", new NpgsqlParameter<string> { TypedValue = assignee });
        }

        if (filter.CitizenReference is { } citizen)
        {
            Where("citizen_reference = @", new NpgsqlParameter<string> { TypedValue = citizen });
        }

        if (filter.OpenedFrom is { } from)
        {
            Where("opened_at >= @", new NpgsqlParameter<DateTime> { TypedValue = from.ToDateTimeUtc() });
        }

        if (filter.OpenedBefore is { } before)
        {
            Where("opened_at < @", new NpgsqlParameter<DateTime> { TypedValue = before.ToDateTimeUtc() });
        }

        if (cursor is not null)
        {
            var parts = ReadModelText.DecodeCursor(cursor, 2);
            if (!long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks))
            {
                throw new ArgumentException("The cursor is not one this query returned.", nameof(cursor));
            }

            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = new DateTime(ticks, DateTimeKind.Utc) });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = parts[1] });
            var n = command.Parameters.Count;
            sql.Append(CultureInfo.InvariantCulture, $" AND (opened_at, row_key) < (${n - 1}, ${n})");
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pageSize + 1 });
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY opened_at DESC, row_key DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();

        var items = new List<CaseSummaryRow>();
        string? next = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var last = (Ticks: 0L, Key: string.Empty);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (items.Count == pageSize)
            {
                next = ReadModelText.EncodeCursor(last.Ticks.ToString(CultureInfo.InvariantCulture), last.Key);
                break;
            }

            items.Add(Read(reader.GetString(0)));
            last = (reader.GetDateTime(1).Ticks, reader.GetString(2));
        }

        return new ReadModelPage<CaseSummaryRow>(items, next);
    }

    private CaseSummaryRow Read(string json) =>
        JsonSerializer.Deserialize<CaseSummaryRow>(json, store.Serializer.Options) ?? throw new JsonException("A case summary row is null.");
}

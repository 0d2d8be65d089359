using System.Text.Json;
using EventCase.EventStore;
using Npgsql;
using NodaTime;

namespace EventCase.Cases.ReadModels.AuditTrail;

/// <summary>Reads the audit trail (<see cref="AuditTrailProjection"/>). Thread safe.</summary>
/// <param name="store">The store the projection is registered with.</param>
public sealed class AuditTrailQueries(PostgresEventStore store)
{
    private const string Columns =
        "row_key, stream_version, position, event_id, event_type, actor_id, actor_role, channel, summary, reason, at, recorded_at, changes, correlation_id";

    private readonly string _table = $"{store.Options.Schema}.{AuditTrailProjection.EntriesTable}";

    /// <summary>Every entry of a case, in stream order.</summary>
    public Task<IReadOnlyList<AuditEntry>> ForCaseAsync(string agency, string caseId, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {Columns} FROM {_table} WHERE tenant_id = $1 AND row_key = $2 ORDER BY stream_version, entry_id", agency, caseId, null, null, 100_000, cancellationToken);

    /// <summary>
    /// What one actor did across the agency's cases, oldest first, from <paramref name="from"/> (inclusive) to
    /// <paramref name="to"/> (exclusive) when given, at most <paramref name="limit"/> entries.
    /// </summary>
    public Task<IReadOnlyList<AuditEntry>> ForActorAsync(
        string agency, string actorId, Instant? from = null, Instant? to = null, int limit = 1000, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"""
             SELECT {Columns} FROM {_table}
              WHERE tenant_id = $1 AND actor_id = $2 AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
              ORDER BY at, entry_id LIMIT $5
             """,
            agency,
            actorId,
            from,
            to,
            limit,
            cancellationToken);

    private async Task<IReadOnlyList<AuditEntry>> QueryAsync(
        string sql, string agency, string key, Instant? from, Instant? to, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = store.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        if (sql.Contains("$3", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = from?.ToDateTimeUtc() });
            command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = to?.ToDateTimeUtc() });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        }

        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetInt64(2),
                Guid.Parse(reader.GetString(3)),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                Instant.FromDateTimeUtc(reader.GetDateTime(10)),
                Instant.FromDateTimeUtc(reader.GetDateTime(11)),
                JsonSerializer.Deserialize<List<FieldChange>>(reader.GetString(12), AuditTrailProjection.ChangesJson) ?? [],
                reader.IsDBNull(13) ? null : reader.GetString(13)));
        }

        return entries;
    }
}

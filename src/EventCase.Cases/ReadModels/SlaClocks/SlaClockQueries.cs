using System.Text.Json;
using EventCase.EventStore;
using Npgsql;
using NodaTime;

namespace EventCase.Cases.ReadModels.SlaClocks;

/// <summary>
/// Reads SLA clocks (<see cref="SlaClockProjection"/>). Due instants are stored; elapsed and remaining time are
/// computed for the instant asked about, so a clock is right at any "now" without an event. Thread safe.
/// </summary>
/// <param name="store">The store the projection is registered with.</param>
/// <param name="calendars">The same calendars the projection was given.</param>
public sealed class SlaClockQueries(PostgresEventStore store, IAgencyCalendars calendars)
{
    private readonly string _table = $"{store.Options.Schema}.{SlaClockProjection.ProjectionName}";

    /// <summary>The case's clock as it stands at <paramref name="now"/>, or null when there is no such case.</summary>
    public async Task<SlaClockView?> GetAsync(string agency, string caseId, Instant now, CancellationToken cancellationToken = default)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT row_data::text FROM {_table} WHERE tenant_id = $1 AND row_key = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? View(agency, Read(json), now) : null;
    }

    /// <summary>
    /// The running clocks that breach within <paramref name="window"/> after <paramref name="now"/>: due in
    /// [now, now + window] (a clock due at <paramref name="now"/> breaches next), not paused, not stopped, not
    /// breached yet; soonest first.
    /// </summary>
    public async Task<IReadOnlyList<SlaClockView>> BreachingWithinAsync(string agency, Duration window, Instant now, int limit = 500, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = store.DataSource.CreateCommand(
            $"""
             SELECT row_data::text FROM {_table}
              WHERE tenant_id = $1 AND sla_due >= $2 AND sla_due <= $3 AND NOT paused AND stopped_at IS NULL AND breached_at IS NULL
              ORDER BY sla_due, row_key
              LIMIT $4
             """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.ToDateTimeUtc() });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = (now + window).ToDateTimeUtc() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var views = new List<SlaClockView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            views.Add(View(agency, Read(reader.GetString(0)), now));
        }

        return views;
    }

    private SlaClockView View(string agency, SlaClockRow row, Instant now)
    {
        var clock = row.Sla.ClockAt(calendars.HistoryFor(agency), now);
        return new SlaClockView(
            row.CaseId, row.CaseNumber, row.Service, clock.Target, clock.Started, clock.Elapsed, clock.Remaining, clock.Due, clock.BreachedAt,
            clock.IsPaused, clock.StoppedAt, clock.Pauses);
    }

    private SlaClockRow Read(string json) =>
        JsonSerializer.Deserialize<SlaClockRow>(json, store.Serializer.Options) ?? throw new JsonException("An SLA clock row is null.");
}

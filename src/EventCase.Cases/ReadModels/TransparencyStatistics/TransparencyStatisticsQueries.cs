using EventCase.EventStore;
using Npgsql;
using NpgsqlTypes;
using NodaTime;

namespace EventCase.Cases.ReadModels.TransparencyStatistics;

/// <summary>The length of a statistics period.</summary>
public enum StatisticsGranularity
{
    /// <summary>A calendar day in the agency's time zone.</summary>
    Day,

    /// <summary>An ISO week (Monday to Sunday) in the agency's time zone.</summary>
    Week,

    /// <summary>A calendar month in the agency's time zone.</summary>
    Month,
}

/// <summary>
/// The published figures of one service of one agency for one period. Counts are of cases; a case counts as resolved
/// once, in the period of its first resolution, and the resolution times, SLA compliance, reopen rate and satisfaction
/// are those of the cases first resolved in the period (null when there are none).
/// </summary>
/// <param name="Agency">The agency.</param>
/// <param name="Service">The service code.</param>
/// <param name="Granularity">Day, week or month.</param>
/// <param name="PeriodStart">The first local date of the period.</param>
/// <param name="PeriodEnd">The first local date after the period.</param>
/// <param name="Opened">Cases opened in the period.</param>
/// <param name="Resolved">Cases first resolved in the period.</param>
/// <param name="Closed">Cases closed in the period.</param>
/// <param name="BacklogAtEnd">Cases open (Open, Assigned, InProgress, AwaitingCitizen) at the end of the period.</param>
/// <param name="MedianResolutionHours">Median wall-clock hours from opening to first resolution.</param>
/// <param name="P90ResolutionHours">90th percentile of the same.</param>
/// <param name="MedianBusinessResolutionHours">Median business hours from opening to first resolution.</param>
/// <param name="P90BusinessResolutionHours">90th percentile of the same.</param>
/// <param name="SlaComplianceRate">Share (0–1) of first resolutions that met the SLA target.</param>
/// <param name="ReopenRate">Share (0–1) of those cases reopened since.</param>
/// <param name="AverageSatisfaction">Mean of the last satisfaction score (1–5) of those cases that have one.</param>
public sealed record TransparencyStatisticsRow(
    string Agency,
    string Service,
    StatisticsGranularity Granularity,
    LocalDate PeriodStart,
    LocalDate PeriodEnd,
    long Opened,
    long Resolved,
    long Closed,
    long BacklogAtEnd,
    double? MedianResolutionHours,
    double? P90ResolutionHours,
    double? MedianBusinessResolutionHours,
    double? P90BusinessResolutionHours,
    double? SlaComplianceRate,
    double? ReopenRate,
    double? AverageSatisfaction);

/// <summary>
/// Aggregates the case facts (<see cref="CaseFactsProjection"/>) per agency × service × day, week or month. Period
/// boundaries are local midnights in the agency's time zone (from its business calendar), computed with NodaTime
/// (a midnight skipped by a clock change starts at the first valid instant) and passed to SQL as instants, so
/// PostgreSQL's own time zone data never decides a boundary. Thread safe.
/// </summary>
/// <param name="store">The store the projection is registered with.</param>
/// <param name="calendars">The agencies' calendars (their time zones set the period boundaries).</param>
public sealed class TransparencyStatisticsQueries(PostgresEventStore store, IAgencyCalendars calendars)
{
    private readonly string _facts = $"{store.Options.Schema}.{CaseFactsProjection.ProjectionName}";
    private readonly string _intervals = $"{store.Options.Schema}.{CaseFactsProjection.OpenIntervalsTable}";

    /// <summary>
    /// The statistics of every service the agency has cases for, for every period from the one containing
    /// <paramref name="from"/> to the one containing <paramref name="to"/>, ordered by service then period.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="to"/> is before <paramref name="from"/>, or the range has over 3,700 periods.</exception>
    public async Task<IReadOnlyList<TransparencyStatisticsRow>> ComputeAsync(
        string agency, StatisticsGranularity granularity, LocalDate from, LocalDate to, CancellationToken cancellationToken = default)
    {
        var zone = calendars.For(agency).Zone;
        var periods = Periods(granularity, from, to);
        await using var command = store.DataSource.CreateCommand(
            $"""
             WITH periods AS (
                 SELECT * FROM unnest($2::date[], $3::date[], $4::timestamptz[], $5::timestamptz[]) AS p(period_start, period_end, starts_at, ends_at)),
             facts AS (SELECT * FROM {_facts} WHERE tenant_id = $1),
             services AS (SELECT DISTINCT service FROM facts)
             SELECT s.service, p.period_start, p.period_end,
                    (SELECT count(*) FROM facts f WHERE f.service = s.service AND f.opened_at >= p.starts_at AND f.opened_at < p.ends_at),
                    r.resolved,
                    (SELECT count(*) FROM facts f WHERE f.service = s.service AND f.closed_at >= p.starts_at AND f.closed_at < p.ends_at),
                    (SELECT count(*) FROM facts f WHERE f.service = s.service AND f.open_since < p.ends_at)
                      + (SELECT count(*) FROM {_intervals} i
                          WHERE i.tenant_id = $1 AND i.service = s.service AND i.opened_from < p.ends_at AND i.opened_until >= p.ends_at),
                    r.median_calendar, r.p90_calendar, r.median_business, r.p90_business, r.compliance, r.reopen_rate, r.satisfaction
               FROM periods p
              CROSS JOIN services s
              CROSS JOIN LATERAL (
                    SELECT count(*) AS resolved,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY f.calendar_resolution_hours) AS median_calendar,
                           percentile_cont(0.9) WITHIN GROUP (ORDER BY f.calendar_resolution_hours) AS p90_calendar,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY f.business_resolution_hours) AS median_business,
                           percentile_cont(0.9) WITHIN GROUP (ORDER BY f.business_resolution_hours) AS p90_business,
                           avg(CASE WHEN f.met_sla THEN 1.0 ELSE 0.0 END)::double precision AS compliance,
                           avg(CASE WHEN f.reopen_count > 0 THEN 1.0 ELSE 0.0 END)::double precision AS reopen_rate,
                           avg(f.satisfaction)::double precision AS satisfaction
                      FROM facts f
                     WHERE f.service = s.service AND f.first_resolved_at >= p.starts_at AND f.first_resolved_at < p.ends_at) r
              ORDER BY s.service, p.period_start
             """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. periods.Select(p => p.Start.ToDateOnly())], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. periods.Select(p => p.End.ToDateOnly())], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. periods.Select(p => zone.AtStartOfDay(p.Start).ToInstant().ToDateTimeUtc())] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. periods.Select(p => zone.AtStartOfDay(p.End).ToInstant().ToDateTimeUtc())] });

        var rows = new List<TransparencyStatisticsRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            double? D(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            rows.Add(new TransparencyStatisticsRow(
                agency,
                reader.GetString(0),
                granularity,
                LocalDate.FromDateOnly(reader.GetFieldValue<DateOnly>(1)),
                LocalDate.FromDateOnly(reader.GetFieldValue<DateOnly>(2)),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetInt64(5),
                reader.GetInt64(6),
                D(7),
                D(8),
                D(9),
                D(10),
                D(11),
                D(12),
                D(13)));
        }

        return rows;
    }

    /// <summary>The periods of <paramref name="granularity"/> covering <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static IReadOnlyList<(LocalDate Start, LocalDate End)> Periods(StatisticsGranularity granularity, LocalDate from, LocalDate to)
    {
        if (to < from)
        {
            throw new ArgumentException($"The range ends ({to}) before it starts ({from}).", nameof(to));
        }

        var start = granularity switch
        {
            StatisticsGranularity.Day => from,
            StatisticsGranularity.Week => from.With(DateAdjusters.PreviousOrSame(IsoDayOfWeek.Monday)),
            _ => from.With(DateAdjusters.StartOfMonth),
        };
        var periods = new List<(LocalDate, LocalDate)>();
        while (start <= to)
        {
            var end = granularity switch
            {
                StatisticsGranularity.Day => start.PlusDays(1),
                StatisticsGranularity.Week => start.PlusWeeks(1),
                _ => start.PlusMonths(1),
            };
            periods.Add((start, end));
            if (periods.Count > 3700)
            {
                throw new ArgumentException("The range has more than 3,700 periods; ask for a coarser granularity.", nameof(to));
            }

            start = end;
        }

        return periods;
    }
}

using EventCase.Cases.Calendars;
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
/// <param name="SatisfactionResponses">How many of those cases have a satisfaction score: the count behind
/// <paramref name="AverageSatisfaction"/>.</param>
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
    double? AverageSatisfaction,
    long SatisfactionResponses)
{
    /// <summary>The most cases <see cref="WithholdingFiguresOfFewerThan"/> accepts as its threshold.</summary>
    public const int MaximumWithholdingThreshold = 1_000;

    /// <summary>
    /// This row for publication with the figures computed from fewer than <paramref name="minimumCases"/> cases left
    /// out (null): the resolution times, SLA compliance and reopen rate when fewer cases were first resolved in the
    /// period, the average satisfaction when fewer of them were scored. With one case behind it, a day's median
    /// resolution time is that case's, and its average satisfaction is one citizen's answer. The counts stay: they
    /// are of cases, not of what happened to a person. A threshold of 1 leaves out nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumCases"/> is below 1 or above
    /// <see cref="MaximumWithholdingThreshold"/>.</exception>
    public TransparencyStatisticsRow WithholdingFiguresOfFewerThan(int minimumCases)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumCases, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumCases, MaximumWithholdingThreshold);
        var row = this;
        if (Resolved < minimumCases)
        {
            row = row with
            {
                MedianResolutionHours = null,
                P90ResolutionHours = null,
                MedianBusinessResolutionHours = null,
                P90BusinessResolutionHours = null,
                SlaComplianceRate = null,
                ReopenRate = null,
            };
        }

        return SatisfactionResponses < minimumCases ? row with { AverageSatisfaction = null } : row;
    }
}

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
    /// <exception cref="ArgumentException"><paramref name="to"/> is before <paramref name="from"/>, the range has over 3,700
    /// periods, or its last period would end after 31 December 9999.</exception>
    public async Task<IReadOnlyList<TransparencyStatisticsRow>> ComputeAsync(
        string agency, StatisticsGranularity granularity, LocalDate from, LocalDate to, CancellationToken cancellationToken = default)
    {
        var zone = calendars.For(agency).Zone;
        var periods = Periods(granularity, from, to);
        // Every case is placed in its periods once, by a binary search of the boundaries (width_bucket), and the figures
        // are grouped per service and period: one pass over the agency's cases, however many periods and services. A
        // query per figure of every row (what this was) read all of the agency's cases for each: minutes for a year by
        // month of a city's cases. width_bucket(x, boundaries) is the number of boundaries at or before x; with the
        // periods' starts and the last end, that is x's period (0 before the first, n + 1 after the last); with the
        // periods' ends, it is how many periods ended by x, so whatever is open from x on is open at the end of the
        // periods after those: the backlog is a running sum of +1 where an open stretch starts to count, -1 where it
        // stops.
        //
        // Only the cases and stretches that can count in the range are read, through the indexes: those opened, first
        // resolved or closed in it, those open now since before its end, and the stretches open at one of its periods'
        // ends. Reading every case of the agency (what this was) made a month's figures cost as much as the agency's
        // whole history: a soak run's statistics took 11 ms at the start and 400 ms at 44,000 cases. The services, which
        // every one of the agency's cases names, are found by stepping through the index from one service to the next.
        await using var command = store.DataSource.CreateCommand(
            $"""
             WITH RECURSIVE periods AS (
                 SELECT * FROM unnest($2::date[], $3::date[]) WITH ORDINALITY AS p(period_start, period_end, i)),
             service_steps AS (
                 (SELECT service FROM {_facts} WHERE tenant_id = $1 ORDER BY service LIMIT 1)
                 UNION ALL
                 SELECT (SELECT f.service FROM {_facts} f WHERE f.tenant_id = $1 AND f.service > s.service ORDER BY f.service LIMIT 1)
                   FROM service_steps s WHERE s.service IS NOT NULL),
             services AS (SELECT service FROM service_steps WHERE service IS NOT NULL),
             facts AS MATERIALIZED (
                 SELECT service,
                        width_bucket(opened_at, $4::timestamptz[]) AS opened_in,
                        width_bucket(first_resolved_at, $4::timestamptz[]) AS resolved_in,
                        width_bucket(closed_at, $4::timestamptz[]) AS closed_in,
                        width_bucket(open_since, $5::timestamptz[]) + 1 AS open_from,
                        calendar_resolution_hours, business_resolution_hours, met_sla, reopen_count, satisfaction
                   FROM {_facts}
                  WHERE tenant_id = $1 AND service = ANY (ARRAY(SELECT service FROM services))
                    AND ((opened_at >= $6 AND opened_at < $7) OR (first_resolved_at >= $6 AND first_resolved_at < $7)
                         OR (closed_at >= $6 AND closed_at < $7) OR open_since < $7)),
             opened AS (SELECT service, opened_in AS i, count(*) AS n FROM facts GROUP BY service, opened_in),
             closed AS (SELECT service, closed_in AS i, count(*) AS n FROM facts WHERE closed_in IS NOT NULL GROUP BY service, closed_in),
             resolved AS (
                 SELECT service, resolved_in AS i, count(*) AS n,
                        percentile_cont(0.5) WITHIN GROUP (ORDER BY calendar_resolution_hours) AS median_calendar,
                        percentile_cont(0.9) WITHIN GROUP (ORDER BY calendar_resolution_hours) AS p90_calendar,
                        percentile_cont(0.5) WITHIN GROUP (ORDER BY business_resolution_hours) AS median_business,
                        percentile_cont(0.9) WITHIN GROUP (ORDER BY business_resolution_hours) AS p90_business,
                        avg(CASE WHEN met_sla THEN 1.0 ELSE 0.0 END)::double precision AS compliance,
                        avg(CASE WHEN reopen_count > 0 THEN 1.0 ELSE 0.0 END)::double precision AS reopen_rate,
                        avg(satisfaction)::double precision AS satisfaction,
                        count(satisfaction) AS responses
                   FROM facts WHERE resolved_in IS NOT NULL GROUP BY service, resolved_in),
             stretches AS (
                 SELECT service, width_bucket(opened_from, $5::timestamptz[]) AS ended_before, width_bucket(opened_until, $5::timestamptz[]) AS ended_by_end
                   FROM {_intervals}
                  WHERE tenant_id = $1 AND service = ANY (ARRAY(SELECT service FROM services))
                    AND opened_until >= $8 AND opened_from < $7),
             backlog_changes AS (
                 SELECT service, i, sum(change) AS change FROM (
                     SELECT service, open_from AS i, 1 AS change FROM facts WHERE open_from IS NOT NULL
                     UNION ALL
                     SELECT service, ended_before + 1, 1 FROM stretches WHERE ended_by_end > ended_before
                     UNION ALL
                     SELECT service, ended_by_end + 1, -1 FROM stretches WHERE ended_by_end > ended_before) c
                  GROUP BY service, i)
             SELECT s.service, p.period_start, p.period_end, coalesce(o.n, 0), coalesce(r.n, 0), coalesce(c.n, 0),
                    (sum(coalesce(b.change, 0)) OVER (PARTITION BY s.service ORDER BY p.i))::bigint,
                    r.median_calendar, r.p90_calendar, r.median_business, r.p90_business, r.compliance, r.reopen_rate, r.satisfaction,
                    coalesce(r.responses, 0)
               FROM periods p
              CROSS JOIN services s
               LEFT JOIN opened o ON o.service = s.service AND o.i = p.i
               LEFT JOIN resolved r ON r.service = s.service AND r.i = p.i
               LEFT JOIN closed c ON c.service = s.service AND c.i = p.i
               LEFT JOIN backlog_changes b ON b.service = s.service AND b.i = p.i
              ORDER BY s.service, p.i
             """);
        // A date the zone skipped whole (Apia, 30 December 2011) starts where the next one does: an empty period.
        var starts = periods.Select(p => SkippedDates.StartOf(zone, p.Start).ToDateTimeUtc()).ToList();
        var ends = periods.Select(p => SkippedDates.StartOf(zone, p.End).ToDateTimeUtc()).ToArray();
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. periods.Select(p => p.Start.ToDateOnly())], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = [.. periods.Select(p => p.End.ToDateOnly())], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. starts, ends[^1]] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = ends });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = starts[0] });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = ends[^1] });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = ends[0] });

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
                D(13),
                reader.GetInt64(14)));
        }

        return rows;
    }

    /// <summary>The periods of <paramref name="granularity"/> covering <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="to"/> is before <paramref name="from"/>, the range has over 3,700
    /// periods, or its last period would end after 31 December 9999.</exception>
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
            LocalDate end;
            try
            {
                end = granularity switch
                {
                    StatisticsGranularity.Day => start.PlusDays(1),
                    StatisticsGranularity.Week => start.PlusWeeks(1),
                    _ => start.PlusMonths(1),
                };
            }
            catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
            {
                // The period's end, the first date after it, is past the last date there is (31 December 9999).
                throw new ArgumentException($"The period starting {start} would end after {LocalDate.MaxIsoValue}, the last date a period can end on.", nameof(to), e);
            }

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

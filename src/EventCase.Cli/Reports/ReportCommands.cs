using System.CommandLine;
using System.Globalization;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cli.Hosting;
using NodaTime;
using NodaTime.Text;
using Spectre.Console;

namespace EventCase.Cli.Reports;

/// <summary><c>eventcase report transparency</c>: the public statistics per agency × service × period.</summary>
internal static class ReportCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var report = new Command("report", "Reports built from the read models");
        var agency = new Option<string>("--agency") { Description = "The agency (tenant)", Required = true };
        agency.AcceptOnlyTenantIds();
        var period = new Option<string>("--period") { Description = "day, week or month", DefaultValueFactory = _ => "month" };
        period.AcceptOnlyFromAmong("day", "week", "month");
        var format = new Option<string>("--format") { Description = "table, csv or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var from = new Option<string?>("--from") { Description = $"First day (yyyy-MM-dd, the agency's local date, from {Format(FirstReportableDay)}; default: a year before --to)" };
        var to = new Option<string?>("--to") { Description = $"Last day (yyyy-MM-dd, up to {Format(LastReportableDay)}; default: today)" };
        var minCases = new Option<int>("--min-cases")
        {
            Description = "For publication: leave out figures computed from fewer cases than this (resolution times, SLA "
                + "compliance and reopen rate under this many resolutions; satisfaction under this many responses); counts "
                + $"are always given. 1–{TransparencyStatisticsRow.MaximumWithholdingThreshold:N0}, default 1: nothing left out",
            DefaultValueFactory = _ => 1,
        };
        minCases.AcceptWholeNumbersOnly();
        minCases.AddValidator(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > TransparencyStatisticsRow.MaximumWithholdingThreshold)
            {
                r.AddError($"--min-cases must be from 1 to {TransparencyStatisticsRow.MaximumWithholdingThreshold:N0}.");
            }
        });
        var transparency = new Command("transparency", "Opened, resolved, closed, backlog, median and p90 resolution time, SLA compliance, reopen rate, satisfaction")
        {
            agency, period, format, from, to, minCases,
        };
        StatisticsGranularity Granularity(System.CommandLine.Parsing.SymbolResult r) => r.GetValue(period) switch
        {
            "day" => StatisticsGranularity.Day,
            "week" => StatisticsGranularity.Week,
            _ => StatisticsGranularity.Month,
        };
        transparency.AddValidator(r =>
        {
            var valid = true;
            foreach (var option in new[] { from, to })
            {
                if (r.GetValue(option) is { } text && ParseDay(text) is { } problem)
                {
                    r.AddError($"{option.Name} {problem}");
                    valid = false;
                }
            }

            // Checked here when both are given; the defaults depend on the agency's time zone, checked once it is known.
            if (valid && r.GetValue(from) is { } f && r.GetValue(to) is { } t
                && RangeProblem(Granularity(r), LocalDatePattern.Iso.Parse(f).Value, LocalDatePattern.Iso.Parse(t).Value) is { } rangeProblem)
            {
                r.AddError(rangeProblem);
            }
        });
        transparency.AddExamples(
            "eventcase report transparency --agency boston",
            "eventcase report transparency --agency boston --period week --from 2026-01-01 --to 2026-03-31 --format csv",
            "eventcase report transparency --agency boston --period day --format csv --min-cases 10");
        transparency.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var agencyId = result.GetValue(agency)!;

            // An agency with no stream at all is a typo or the wrong database: an empty report (exit 0) passed for "no
            // cases", and a scheduled publication went out empty. An agency that exists and had no cases is one.
            if (!await session.TenantHasStreamsAsync(agencyId, ct))
            {
                throw new CliException($"nothing to report: agency '{agencyId}' has no streams (is --agency right?)");
            }

            var calendar = await session.LoadCalendarAsync(agencyId, ct);
            var today = SystemClock.Instance.GetCurrentInstant().InZone(calendar.Zone).Date;
            var last = result.GetValue(to) is { } t ? LocalDatePattern.Iso.Parse(t).Value : today;
            var first = result.GetValue(from) is { } f ? LocalDatePattern.Iso.Parse(f).Value : last.PlusYears(-1);
            if (RangeProblem(Granularity(result.CommandResult), first, last) is { } problem)
            {
                throw CliException.BadArgument(result.GetValue(from) is null ? $"{problem} (--from defaults to a year before --to)" : problem);
            }

            var granularity = Granularity(result.CommandResult);
            var queries = new TransparencyStatisticsQueries(session.Store, new AgencyCalendars(new Dictionary<string, Cases.Calendars.BusinessCalendar> { [agencyId] = calendar }));
            var threshold = result.GetValue(minCases);
            var rows = (await queries.ComputeAsync(agencyId, granularity, first, last, ct))
                .Where(r => r.Opened > 0 || r.Resolved > 0 || r.Closed > 0 || r.BacklogAtEnd > 0)
                .Select(r => r.WithholdingFiguresOfFewerThan(threshold))
                .ToList();
            switch (result.GetValue(format))
            {
                case "csv":
                    await TransparencyReport.WriteCsvAsync(console.Profile.Out.Writer, rows, ct);
                    break;
                case "json":
                    console.Profile.Out.Writer.WriteLine(TransparencyReport.ToJson(rows));
                    break;
                default:
                    var table = new Table().AddColumns("service", "period", "opened", "resolved", "closed", "backlog", "median h", "p90 h", "SLA met", "reopened", "satisfaction");
                    foreach (var row in rows)
                    {
                        table.AddRow(
                            Markup.Escape(row.Service),
                            LocalDatePattern.Iso.Format(row.PeriodStart),
                            N(row.Opened), N(row.Resolved), N(row.Closed), N(row.BacklogAtEnd),
                            D(row.MedianResolutionHours, "F1"), D(row.P90ResolutionHours, "F1"),
                            D(row.SlaComplianceRate, "P0"), D(row.ReopenRate, "P0"), D(row.AverageSatisfaction, "F1"));
                    }

                    console.Write(table);
                    if (rows.Count == 0)
                    {
                        console.WriteLine($"no cases of {agencyId} between {first} and {last} (the statistics are built by the service's projection daemon)");
                    }

                    break;
            }

            return 0;
        });
        report.Subcommands.Add(transparency);
        return report;
    }

    /// <summary>
    /// The first and last days a report may name. Period boundaries are local midnights turned into instants in the
    /// agency's time zone and passed to PostgreSQL as such: a year of slack on each side keeps every boundary (a month,
    /// a week, a year of default range, a zone offset away) inside what .NET and NodaTime can represent.
    /// </summary>
    private static readonly LocalDate FirstReportableDay = new(2, 1, 1);

    private static readonly LocalDate LastReportableDay = new(9998, 12, 31);

    /// <summary>Why <paramref name="text"/> is not a usable day, or null.</summary>
    private static string? ParseDay(string text)
    {
        var parsed = LocalDatePattern.Iso.Parse(text);
        return !parsed.Success ? $"'{text}' is not a date such as 2026-03-01."
            : parsed.Value < FirstReportableDay || parsed.Value > LastReportableDay
                ? $"{text} is outside the days a report can cover ({Format(FirstReportableDay)} to {Format(LastReportableDay)})."
            : null;
    }

    /// <summary>Why the days from <paramref name="first"/> to <paramref name="last"/> are not a range to report on, or null.</summary>
    private static string? RangeProblem(StatisticsGranularity granularity, LocalDate first, LocalDate last)
    {
        if (last < first)
        {
            return $"--to {Format(last)} is before --from {Format(first)}.";
        }

        if (first < FirstReportableDay)
        {
            return $"the report would start on {Format(first)}, before {Format(FirstReportableDay)}, the first day a report can cover.";
        }

        try
        {
            _ = TransparencyStatisticsQueries.Periods(granularity, first, last);
            return null;
        }
        catch (ArgumentException e)
        {
            // Over 3,700 periods: the statistics query's own limit, named as the options that set it.
            return $"--from {Format(first)} to --to {Format(last)}: {CommandFailure.WithoutParameterName(e)}";
        }
    }

    private static string Format(LocalDate day) => LocalDatePattern.Iso.Format(day);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string D(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "–";
}

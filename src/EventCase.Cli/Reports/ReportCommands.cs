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
        var period = new Option<string>("--period") { Description = "day, week or month", DefaultValueFactory = _ => "month" };
        period.AcceptOnlyFromAmong("day", "week", "month");
        var format = new Option<string>("--format") { Description = "table, csv or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var from = new Option<string?>("--from") { Description = "First day (yyyy-MM-dd, the agency's local date; default: a year before --to)" };
        var to = new Option<string?>("--to") { Description = "Last day (yyyy-MM-dd; default: today)" };
        var transparency = new Command("transparency", "Opened, resolved, closed, backlog, median and p90 resolution time, SLA compliance, reopen rate, satisfaction")
        {
            agency, period, format, from, to,
        };
        transparency.AddValidator(r =>
        {
            foreach (var option in new[] { from, to })
            {
                if (r.GetValue(option) is { } text && !LocalDatePattern.Iso.Parse(text).Success)
                {
                    r.AddError($"{option.Name} '{text}' is not a date such as 2026-03-01.");
                }
            }
        });
        transparency.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var agencyId = result.GetValue(agency)!;
            var calendar = await session.LoadCalendarAsync(agencyId, ct);
            var today = SystemClock.Instance.GetCurrentInstant().InZone(calendar.Zone).Date;
            var last = result.GetValue(to) is { } t ? LocalDatePattern.Iso.Parse(t).Value : today;
            var first = result.GetValue(from) is { } f ? LocalDatePattern.Iso.Parse(f).Value : last.PlusYears(-1);
            if (last < first)
            {
                throw new CliException("--to is before --from");
            }

            var granularity = result.GetValue(period) switch { "day" => StatisticsGranularity.Day, "week" => StatisticsGranularity.Week, _ => StatisticsGranularity.Month };
            var queries = new TransparencyStatisticsQueries(session.Store, new AgencyCalendars(new Dictionary<string, Cases.Calendars.BusinessCalendar> { [agencyId] = calendar }));
            var rows = (await queries.ComputeAsync(agencyId, granularity, first, last, ct)).Where(r => r.Opened > 0 || r.Resolved > 0 || r.Closed > 0 || r.BacklogAtEnd > 0).ToList();
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

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string D(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "–";
}

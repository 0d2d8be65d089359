using System.Globalization;
using System.Text.Json.Nodes;
using EventCase.Cases;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.EventStore.Projections.Testing;
using EventCase.EventStore.Serialization;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cli.Tests;

/// <summary>
/// <c>eventcase report transparency</c> in its three formats over the same cases, against the figures worked out by
/// hand and against each other. The agency has no calendar: UTC, weekdays 08:00–17:00, targets of 16 business hours.
/// </summary>
public sealed class TransparencyReportFormatsTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private const string Agency = "formats";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_csv_json_and_table_reports_publish_the_same_figures_and_leave_out_the_same_empty_periods()
    {
        await SeedAsync();
        string[] range = ["report", "transparency", "--agency", Agency, "--period", "month", "--from", "2026-01-01", "--to", "2026-04-30", "--connection", database.ConnectionString];

        var csv = await RunAsync([.. range, "--format", "csv"]);
        var json = JsonNode.Parse(await RunAsync([.. range, "--format", "json"]))!.AsArray();
        var table = await RunAsync([.. range, "--format", "table"]);

        // January has no case: left out. February: one opened and cancelled. March: c1, c2, c3 opened and first resolved
        // (wall hours 4, 6.5 and 73; c2 reopened and missed its target at 28 business hours; scores 4 and 5), c1 and c2
        // closed, c4 open at the end of March and of April.
        Assert.Equal(
            [
                "agency,service,granularity,period_start,period_end,opened,resolved,closed,backlog_at_end,median_resolution_hours,p90_resolution_hours,median_business_resolution_hours,p90_business_resolution_hours,sla_compliance_rate,reopen_rate,average_satisfaction,satisfaction_responses",
                "formats,pothole,month,2026-02-01,2026-03-01,1,0,0,0,,,,,,,,0",
                "formats,pothole,month,2026-03-01,2026-04-01,4,3,2,1,6.5,59.7,6.5,23.7,0.6667,0.3333,4.5,2",
                "formats,pothole,month,2026-04-01,2026-05-01,0,0,0,1,,,,,,,,0",
                string.Empty,
            ],
            csv.Split("\r\n"));
        Assert.Equal(3, json.Count);
        var march = json[1]!;
        Assert.Equal(("pothole", "month", "2026-03-01", "2026-04-01"), (march["service"]!.GetValue<string>(), march["granularity"]!.GetValue<string>(), march["periodStart"]!.GetValue<string>(), march["periodEnd"]!.GetValue<string>()));
        Assert.Equal((4L, 3L, 2L, 1L), (march["opened"]!.GetValue<long>(), march["resolved"]!.GetValue<long>(), march["closed"]!.GetValue<long>(), march["backlogAtEnd"]!.GetValue<long>()));
        Assert.Equal(2.0 / 3, march["slaComplianceRate"]!.GetValue<double>(), 9);
        Assert.Equal(1.0 / 3, march["reopenRate"]!.GetValue<double>(), 9);
        Assert.Equal(4.5, march["averageSatisfaction"]!.GetValue<double>(), 9);
        Assert.Null(json[0]!["medianResolutionHours"]);

        // Each row of each format carries the same figures.
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        var lines = table.Split('\n').Where(l => l.Contains("pothole", StringComparison.Ordinal)).Select(l => l.Split(["│", "|"], StringSplitOptions.None).Select(c => c.Trim()).Where(c => c.Length > 0).ToArray()).ToList();
        Assert.Equal(rows.Count, lines.Count);
        foreach (var (cells, (node, line)) in rows.Zip(json.Zip(lines)))
        {
            Assert.Equal(cells[3], node!["periodStart"]!.GetValue<string>());
            Assert.Equal(cells[3], line[1]);
            for (var i = 5; i <= 8; i++)
            {
                Assert.Equal(cells[i], line[i - 3]);
            }

            Assert.Equal(cells[9], Round(node["medianResolutionHours"], 4));
            Assert.Equal(cells[14], Round(node["reopenRate"], 4));
            Assert.Equal(Round(node["medianResolutionHours"], 1, "F1", "–"), line[6]);
            Assert.Equal(Round(node["p90ResolutionHours"], 1, "F1", "–"), line[7]);
            Assert.Equal(Round(node["slaComplianceRate"], 0, "P0", "–"), line[8]);
            Assert.Equal(Round(node["averageSatisfaction"], 1, "F1", "–"), line[10]);
        }
    }

    [Fact]
    public async Task With_min_cases_the_reports_leave_out_the_figures_of_fewer_cases_and_keep_the_counts()
    {
        await SeedAsync();
        string[] march = ["report", "transparency", "--agency", Agency, "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv", "--connection", database.ConnectionString];

        // March has three first resolutions and two satisfaction scores.
        var three = (await RunAsync([.. march, "--min-cases", "3"])).Split("\r\n");
        var four = (await RunAsync([.. march, "--min-cases", "4"])).Split("\r\n");

        Assert.Equal("formats,pothole,month,2026-03-01,2026-04-01,4,3,2,1,6.5,59.7,6.5,23.7,0.6667,0.3333,,2", three[1]);
        Assert.Equal("formats,pothole,month,2026-03-01,2026-04-01,4,3,2,1,,,,,,,,2", four[1]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("some")]
    public async Task A_min_cases_outside_1_to_1000_is_a_bad_argument(string value)
    {
        var (exit, _, error) = await CliRunner.RunAsync(
            ["report", "transparency", "--agency", Agency, "--min-cases", value, "--connection", database.ConnectionString]);

        Assert.Equal(2, exit);
        Assert.Contains("--min-cases", error, StringComparison.Ordinal);
    }

    private static string Round(JsonNode? node, int decimals, string? format = null, string missing = "") =>
        node is null ? missing
        : format is null ? Math.Round(node.GetValue<double>(), decimals).ToString("0.####", CultureInfo.InvariantCulture)
        : node.GetValue<double>().ToString(format, CultureInfo.InvariantCulture);

    private static async Task<string> RunAsync(string[] args)
    {
        var (exit, output, error) = await CliRunner.RunAsync(args);
        Assert.True(exit == 0, error);
        return output;
    }

    // The tests of this class share its database: the cases are appended once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task>> Seeded = new();

    private Task SeedAsync() => Seeded.GetOrAdd(database.ConnectionString, _ => new Lazy<Task>(SeedOnceAsync)).Value;

    /// <summary>The cases, the read models created as the service creates them, the case facts caught up.</summary>
    private async Task SeedOnceAsync()
    {
        var testers = await ProjectionTester.CreateManyAsync(
            database.DataSource, new EventTypeRegistry().RegisterAll(CaseEventTypes.All), BuiltInProjections.Create(CliSession.Calendars), cancellationToken: Ct);
        var facts = testers.Single(t => t.Projection.Name == CaseFactsProjection.ProjectionName);
        static Instant At(int month, int day, int hour, int minute = 0) => Instant.FromUtc(2026, month, day, hour, minute);
        var team = new Assignment(new TeamId("roads"));
        await AppendAsync(facts, 1, At(3, 2, 9), new CaseAssigned(Id(1), team, At(3, 2, 9, 30)), new CaseResolved(Id(1), "repaired", "Done.", At(3, 2, 15, 30)),
            new FeedbackRecorded(Id(1), 4, null, At(3, 3, 9)), new CaseClosed(Id(1), At(3, 4, 9)));
        await AppendAsync(facts, 2, At(3, 2, 10), new CaseAssigned(Id(2), team, At(3, 2, 11)), new CaseResolved(Id(2), "repaired", "Done.", At(3, 5, 11)),
            new CaseReopened(Id(2), "Still broken", At(3, 6, 9)), new CaseResolved(Id(2), "repaired", "Done.", At(3, 9, 12)), new CaseClosed(Id(2), At(3, 10, 9)));
        await AppendAsync(facts, 3, At(3, 3, 8), new CaseAssigned(Id(3), team, At(3, 3, 8, 30)), new CaseResolved(Id(3), "repaired", "Done.", At(3, 3, 12)),
            new FeedbackRecorded(Id(3), 5, null, At(3, 3, 13)));
        await AppendAsync(facts, 4, At(3, 20, 9), new CaseAssigned(Id(4), team, At(3, 20, 10)));
        await AppendAsync(facts, 5, At(2, 2, 9), new CaseCancelled(Id(5), "Withdrawn", At(2, 3, 9)));
        await facts.CatchUpAsync(Ct);
    }

    private static CaseId Id(int n) => new("fmt-" + n.ToString(CultureInfo.InvariantCulture));

    private static async Task AppendAsync(ProjectionTester tester, int n, Instant opened, params CaseEvent[] events)
    {
        var open = new CaseOpened(
            Id(n), new CaseNumber("FMT", 2026, n), new AgencyId(Agency), new ServiceCode("pothole"), "Something is broken", null, null, Channel.Web,
            new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(16), opened);
        await tester.AppendAsync(new StreamName(Agency, Id(n).Value), [open, .. events]);
    }
}

using System.Diagnostics;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Projections.Testing;
using EventCase.Testing;
using NodaTime;

namespace WardProjection.Tests;

public sealed class OpenCasesPerWardTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 3, 2, 14, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CaseOpened Opened(string id, double? lat = null, double? lon = null) => new(
        new CaseId(id), new CaseNumber("BOS", 2026, 1), new AgencyId("boston"), new ServiceCode("pothole"), "Pothole", null,
        lat is null ? null : new CaseLocation(new GeoPoint(lat.Value, lon!.Value), null), Channel.Web,
        new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(48), T0);

    private static StreamName Stream(string id) => new("boston", id);

    [Fact]
    public async Task Cases_are_counted_in_the_ward_their_location_falls_in_while_they_are_open()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, CaseEvents.CreateRegistry(), new OpenCasesPerWard(Wards.Boston), "ward_a", Ct);
        await tester.AppendAsync(Stream("a"), Opened("a", 42.350, -71.080));
        await tester.AppendAsync(Stream("b"), Opened("b", 42.300, -71.050));
        await tester.AppendAsync(Stream("c"), Opened("c", 42.350, -71.075), new CaseResolved(new CaseId("c"), "repaired", "Filled.", T0));
        await tester.AppendAsync(Stream("d"), Opened("d"));
        await tester.AppendAsync(Stream("e"), Opened("e", 40.0, -70.0));

        await tester.CatchUpAsync(Ct);
        var counts = await new OpenCasesPerWardQuery(tester.Store).CountsAsync("boston", Ct);

        Assert.Equal(
            [("Ward 16 (Dorchester)", 1L), ("Ward 5 (Back Bay)", 1L), ("outside", 1L), ("unknown", 1L)],
            counts.OrderBy(c => c.Ward, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_reopened_case_counts_again_and_a_rebuild_gives_the_same_rows()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, CaseEvents.CreateRegistry(), new OpenCasesPerWard(Wards.Boston), "ward_b", Ct);
        await tester.AppendAsync(Stream("a"), Opened("a", 42.338, -71.070), new CaseResolved(new CaseId("a"), "repaired", "Filled.", T0));
        await tester.CatchUpAsync(Ct);
        Assert.Empty(await new OpenCasesPerWardQuery(tester.Store).CountsAsync("boston", Ct));

        await tester.AppendAsync(Stream("a"), new CaseReopened(new CaseId("a"), "still broken", T0 + Duration.FromDays(1)));
        await tester.CatchUpAsync(Ct);
        var live = await tester.RowsAsync<WardCase>(Ct);
        await tester.RebuildAsync(Ct);

        Assert.Equal([new WardCase("Ward 9 (South End)", true)], live);
        Assert.Equal(live, await tester.RowsAsync<WardCase>(Ct));
    }

    [Fact]
    public async Task The_sample_program_runs_and_prints_the_counts()
    {
        var program = typeof(OpenCasesPerWard).Assembly.Location;
        using var process = Process.Start(new ProcessStartInfo("dotnet", [program, database.ConnectionString])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        Assert.True(process.ExitCode == 0, error);
        Assert.Contains("Ward 5 (Back Bay)      2", output, StringComparison.Ordinal);
        Assert.Contains("Ward 9 (South End)     1", output, StringComparison.Ordinal);
        Assert.Contains("unknown                1", output, StringComparison.Ordinal);
    }
}

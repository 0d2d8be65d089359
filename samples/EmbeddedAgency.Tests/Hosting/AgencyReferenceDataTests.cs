using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.Catalog;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.Hosting;
using EventCase.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace EmbeddedAgency.Tests.Hosting;

/// <summary>
/// At start-up the engine records the configured agency's catalog, routing and calendar in the agency's reference
/// streams; a restart with the same configuration records nothing, and a changed configuration records the difference.
/// </summary>
public sealed class AgencyReferenceDataTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly AgencyId Shelbyville = new("shelbyville");

    private async Task<(long Catalog, long Routing, long Calendar)> StartAndStopAsync(Action<AgencyOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddEventCase(o =>
        {
            o.ConnectionString = database.ConnectionString;
            o.RunProjectionDaemon = false;
            o.AddAgency(Shelbyville.Value, configure);
        });
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var store = host.Services.GetRequiredService<EventCaseEngine>().Store;
            async Task<long> VersionAsync(string stream) =>
                (await store.GetStreamInfoAsync(new StreamName(Shelbyville.Value, stream), TestContext.Current.CancellationToken))?.Version ?? 0;
            return (await VersionAsync(ReferenceData.CatalogStream), await VersionAsync(ReferenceData.RoutingStream), await VersionAsync(ReferenceData.CalendarStream));
        }
        finally
        {
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    private static void Configure(AgencyOptions agency)
    {
        agency.AddService("pothole", "Pothole", "A hole.", SlaTarget.BusinessHours(40))
            .AddService("graffiti", "Graffiti", "Paint.", SlaTarget.BusinessHours(80), CasePriority.Low)
            .AddRoutingRule("graffiti-anywhere", "clean-team", null, "graffiti")
            .UseWeekdayCalendar("America/Chicago", new LocalTime(9, 0), new LocalTime(17, 0), new LocalDate(2026, 12, 25));
        agency.DefaultTeam = "public-works";
    }

    [Fact]
    public async Task A_restart_with_the_same_configuration_records_nothing_and_a_changed_one_records_only_the_difference()
    {
        var first = await StartAndStopAsync(Configure);
        Assert.Equal((2, 2, 1), first); // two services; a rule and the default team; the calendar

        var again = await StartAndStopAsync(Configure);
        Assert.Equal(first, again);

        var changed = await StartAndStopAsync(a =>
        {
            a.AddService("pothole", "Pothole", "A hole in the road.", SlaTarget.BusinessHours(24)); // updated; graffiti dropped
            a.UseWeekdayCalendar("America/Chicago", new LocalTime(9, 0), new LocalTime(17, 0));   // the holiday is gone
            a.DefaultTeam = "public-works";
        });
        Assert.Equal((first.Catalog + 2, first.Routing + 1, first.Calendar + 1), changed); // update + retire; rule removed; new calendar

        var engineCatalog = await ReadCatalogAsync();
        Assert.True(engineCatalog.Find(new ServiceCode("graffiti"))!.IsRetired);
        Assert.Equal(SlaTarget.BusinessHours(24), engineCatalog.Find(new ServiceCode("pothole"))!.Definition.Sla);
    }

    [Fact]
    public async Task A_node_that_cached_the_catalog_sees_a_change_another_node_made_on_its_next_read()
    {
        var agency = new AgencyId("ogdenville");
        var token = TestContext.Current.CancellationToken;
        var calendars = new EventCase.Cases.ReadModels.CalendarCache();
        await using var storage = await EventCaseStorage.OpenAsync(
            database.ConnectionString, null, EventCaseOptions.DefaultSchema, calendars, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, token);
        var nodeA = new ReferenceData(() => storage.Store, calendars);
        var nodeB = new ReferenceData(() => storage.Store, new EventCase.Cases.ReadModels.CalendarCache());
        var metadata = new EventCase.EventStore.Metadata.EventMetadata("admin-1", "admin");
        var at = Instant.FromUtc(2026, 11, 1, 12, 0);
        ServiceDefined Pothole(int hours) => new(new ServiceCode("pothole"), new ServiceDefinition(
            new ServiceCode("pothole"), "Pothole", "A hole.", agency, CasePriority.Normal, SlaTarget.BusinessHours(hours), [], "Streets", []), at);
        await nodeB.AppendAsync(agency, ReferenceData.CatalogStream, 0, [Pothole(40)], metadata, null, token);

        var first = await nodeA.LoadIntakeAsync(agency, token);
        var unchanged = await nodeA.LoadIntakeAsync(agency, token);
        Assert.Same(first.Catalog, unchanged.Catalog); // folded once, served from the cache while the stream stands still
        Assert.Equal(0, first.Routing.Version);

        await nodeB.AppendAsync(agency, ReferenceData.CatalogStream, 1, [Pothole(8)], metadata, null, token);
        var after = await nodeA.LoadIntakeAsync(agency, token);
        Assert.Equal(2, after.Catalog.Version);
        Assert.Equal(SlaTarget.BusinessHours(8), after.Catalog.Value.Find(new ServiceCode("pothole"))!.Definition.Sla);
        Assert.Equal(2, (await nodeA.LoadCatalogAsync(agency, token)).Version);
    }

    private async Task<ServiceCatalog> ReadCatalogAsync()
    {
        var calendars = new EventCase.Cases.ReadModels.CalendarCache();
        await using var storage = await EventCaseStorage.OpenAsync(
            database.ConnectionString, null, EventCaseOptions.DefaultSchema, calendars, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TestContext.Current.CancellationToken);
        var reference = new ReferenceData(() => storage.Store, calendars);
        return (await reference.LoadCatalogAsync(Shelbyville, TestContext.Current.CancellationToken)).Value;
    }
}

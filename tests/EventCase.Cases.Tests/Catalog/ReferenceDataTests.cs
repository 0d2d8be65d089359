using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.Agencies;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Tests.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Catalog;

public sealed class ReferenceDataTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly EventMetadata Admin = new("admin-1", "admin");

    [Fact]
    public async Task A_catalog_change_one_node_appends_is_seen_by_another_nodes_next_load()
    {
        var agency = NewAgency();
        var nodeA = new ReferenceData(() => Store, new CalendarCache());
        var nodeB = new ReferenceData(() => Store, new CalendarCache());
        await DefineAsync(nodeB, agency, "pothole", expectedVersion: 0);
        Assert.NotNull((await nodeA.LoadIntakeAsync(agency, Ct)).Catalog.Value.Find(new ServiceCode("pothole")));

        await DefineAsync(nodeB, agency, "streetlight", expectedVersion: 1);

        var (catalog, _) = await nodeA.LoadIntakeAsync(agency, Ct);
        Assert.Equal(2, catalog.Version);
        Assert.NotNull(catalog.Value.Find(new ServiceCode("streetlight")));
    }

    [Fact]
    public async Task Concurrent_loads_for_many_agencies_each_see_their_own_agencys_latest_catalog()
    {
        // Checks that arrive together are answered by one lookup for all agencies: each must get its own agency's
        // versions back, or a cached catalog would pass for current after its agency changed it.
        var agencies = Enumerable.Range(0, 12).Select(_ => NewAgency()).ToArray();
        var reference = new ReferenceData(() => Store, new CalendarCache());
        foreach (var agency in agencies)
        {
            await DefineAsync(reference, agency, "service-0", expectedVersion: 0);
            await reference.LoadIntakeAsync(agency, Ct);
        }

        // Every other agency changes its catalog after it was cached.
        foreach (var agency in agencies.Where((_, i) => i % 2 == 1))
        {
            await DefineAsync(reference, agency, "service-1", expectedVersion: 1);
        }

        var loads = await Task.WhenAll(Enumerable.Range(0, 240).Select(n => Task.Run(async () =>
        {
            var agency = agencies[n % agencies.Length];
            var (catalog, routing) = await reference.LoadIntakeAsync(agency, Ct);
            return (Index: n % agencies.Length, Catalog: catalog, Routing: routing);
        })));

        Assert.All(loads, load =>
        {
            Assert.Equal((load.Index % 2) + 1, load.Catalog.Version);
            Assert.Equal(load.Catalog.Version, load.Catalog.Value.Offered.Count());
            Assert.All(load.Catalog.Value.Offered, service => Assert.Equal(agencies[load.Index], service.Agency));
            Assert.Equal(0, load.Routing.Version);
        });
    }

    [Fact]
    public async Task The_first_calendar_an_agency_sets_counts_from_the_beginning_and_each_later_one_from_when_it_was_set()
    {
        var agency = NewAgency();
        var cache = new CalendarCache();
        var reference = new ReferenceData(() => Store, cache);
        await SetCalendarAsync(reference, agency, "America/New_York", Instant.FromUtc(2026, 3, 1, 12, 0), expectedVersion: 0);
        await SetCalendarAsync(reference, agency, "America/Chicago", Instant.FromUtc(2026, 3, 4, 17, 0), expectedVersion: 1);

        var changes = cache.HistoryFor(agency.Value).Changes;

        Assert.Equal(
            [(Instant.MinValue, "America/New_York"), (Instant.FromUtc(2026, 3, 4, 17, 0), "America/Chicago")],
            changes.Select(c => (c.From, c.Calendar.Zone.Id)));
        Assert.Equal("America/Chicago", cache.For(agency.Value).Zone.Id);
    }

    [Fact]
    public async Task A_calendar_change_one_node_appends_is_taken_up_by_another_nodes_next_intake()
    {
        var agency = NewAgency();
        var cacheA = new CalendarCache();
        var nodeA = new ReferenceData(() => Store, cacheA);
        var nodeB = new ReferenceData(() => Store, new CalendarCache());
        await SetCalendarAsync(nodeB, agency, "America/New_York", Instant.FromUtc(2026, 3, 1, 12, 0), expectedVersion: 0);
        await nodeA.LoadAsync(Ct);
        Assert.Equal("America/New_York", cacheA.For(agency.Value).Zone.Id);

        await SetCalendarAsync(nodeB, agency, "America/Chicago", Instant.FromUtc(2026, 3, 4, 17, 0), expectedVersion: 1);
        await nodeA.LoadIntakeAsync(agency, Ct);

        Assert.Equal("America/Chicago", cacheA.For(agency.Value).Zone.Id);
        Assert.Equal(2, cacheA.HistoryFor(agency.Value).Changes.Count);
    }

    [Fact]
    public async Task A_calendar_change_one_node_appends_is_taken_up_by_another_nodes_refresh_without_an_intake()
    {
        // Node A opens no case of the agency (a node that only runs the projection daemon, say): its periodic refresh
        // finds the change node B made, for an agency whose calendar it had and for one it only served a catalog of.
        var agency = NewAgency();
        var catalogOnly = NewAgency();
        var cacheA = new CalendarCache();
        var nodeA = new ReferenceData(() => Store, cacheA);
        var nodeB = new ReferenceData(() => Store, new CalendarCache());
        await SetCalendarAsync(nodeB, agency, "America/New_York", Instant.FromUtc(2026, 3, 1, 12, 0), expectedVersion: 0);
        await nodeA.LoadAsync(Ct);
        await nodeA.LoadCatalogAsync(catalogOnly, Ct);

        await SetCalendarAsync(nodeB, agency, "America/Chicago", Instant.FromUtc(2026, 3, 4, 17, 0), expectedVersion: 1);
        await SetCalendarAsync(nodeB, catalogOnly, "Europe/Paris", Instant.FromUtc(2026, 3, 4, 17, 0), expectedVersion: 0);
        await nodeA.RefreshCalendarsAsync(Ct);

        Assert.Equal("America/Chicago", cacheA.For(agency.Value).Zone.Id);
        Assert.Equal("Europe/Paris", cacheA.For(catalogOnly.Value).Zone.Id);
    }

    [Fact]
    public async Task An_agency_set_up_on_another_node_after_this_one_started_has_its_calendar_taken_up_by_this_nodes_refresh()
    {
        // Node A started before the agency existed and serves none of its requests: the node that owns the SLA read
        // models, say. Its refresh must find the agency's calendar, or its projections count the agency's cases on the
        // default stand-in for good, unlike every other node's.
        var cacheA = new CalendarCache();
        var nodeA = new ReferenceData(() => Store, cacheA);
        await nodeA.LoadAsync(Ct);
        var agency = NewAgency();
        var nodeB = new ReferenceData(() => Store, new CalendarCache());

        await SetCalendarAsync(nodeB, agency, "Asia/Tokyo", Instant.FromUtc(2026, 3, 1, 12, 0), expectedVersion: 0);
        await nodeA.RefreshCalendarsAsync(Ct);

        Assert.Equal(1, cacheA.VersionOf(agency.Value));
        Assert.Equal("Asia/Tokyo", cacheA.For(agency.Value).Zone.Id);
    }

    [Fact]
    public async Task A_calendar_change_of_an_agency_with_cases_requests_a_rebuild_of_the_read_models_that_store_due_instants_and_a_start_up_does_not()
    {
        var schema = "calendar_rebuild_" + Guid.NewGuid().ToString("N")[..8];
        var cache = new CalendarCache();
        var store = new PostgresEventStore(DataSource, CaseEvents.CreateSerializer(), new EventStoreOptions { Schema = schema }, BuiltInProjections.Create(cache));
        await store.MigrateAsync(Ct);
        var agency = NewAgency();
        var reference = new ReferenceData(() => store, cache);

        // A new agency sets its calendar before its first case: no due instant moves.
        await SetCalendarAsync(reference, agency, "America/New_York", Instant.FromUtc(2026, 3, 1, 12, 0), expectedVersion: 0);
        var beforeCases = await RebuildsRequestedAsync(schema);
        await store.AppendToStreamAsync(
            CaseStreams.For(agency, Id), "case", ExpectedVersion.NoStream, [new NewEvent(Guid.NewGuid(), Opened() with { Agency = agency }, Admin)], Ct);
        await SetCalendarAsync(reference, agency, "America/Chicago", Instant.FromUtc(2026, 3, 4, 17, 0), expectedVersion: 1);
        var afterTheChange = await RebuildsRequestedAsync(schema);
        await ClearRebuildRequestsAsync(schema);
        await new ReferenceData(() => store, new CalendarCache()).LoadAsync(Ct);

        Assert.Empty(beforeCases);
        Assert.Equal(["case_summary", "sla_clocks", "work_queue"], afterTheChange);
        Assert.Empty(await RebuildsRequestedAsync(schema));
    }

    [Fact]
    public async Task The_first_calendar_of_an_agency_with_cases_also_requests_a_rebuild_of_the_case_facts_counted_on_the_stand_in()
    {
        var schema = "calendar_first_" + Guid.NewGuid().ToString("N")[..8];
        var cache = new CalendarCache();
        var store = new PostgresEventStore(DataSource, CaseEvents.CreateSerializer(), new EventStoreOptions { Schema = schema }, BuiltInProjections.Create(cache));
        await store.MigrateAsync(Ct);
        var agency = NewAgency();
        var reference = new ReferenceData(() => store, cache);
        await store.AppendToStreamAsync(
            CaseStreams.For(agency, Id), "case", ExpectedVersion.NoStream, [new NewEvent(Guid.NewGuid(), Opened() with { Agency = agency }, Admin)], Ct);

        await SetCalendarAsync(reference, agency, "America/New_York", Instant.FromUtc(2026, 3, 1, 12, 0), expectedVersion: 0);

        Assert.Equal(["case_facts", "case_summary", "sla_clocks", "work_queue"], await RebuildsRequestedAsync(schema));
    }

    private async Task<List<string>> RebuildsRequestedAsync(string schema)
    {
        await using var command = DataSource.CreateCommand($"SELECT name FROM {schema}.projections WHERE rebuild_requested_at IS NOT NULL ORDER BY name");
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private async Task ClearRebuildRequestsAsync(string schema)
    {
        await using var command = DataSource.CreateCommand($"UPDATE {schema}.projections SET rebuild_requested_at = NULL");
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static Task SetCalendarAsync(ReferenceData reference, AgencyId agency, string zone, Instant at, long expectedVersion) =>
        reference.AppendAsync(
            agency,
            ReferenceData.CalendarStream,
            expectedVersion,
            [new CalendarSet(agency, new CalendarDefinition(zone, [new CalendarHours(IsoDayOfWeek.Monday, new LocalTime(9, 0), new LocalTime(17, 0))], []), at)],
            Admin,
            null,
            Ct);

    private static Task DefineAsync(ReferenceData reference, AgencyId agency, string code, long expectedVersion) =>
        reference.AppendAsync(
            agency,
            ReferenceData.CatalogStream,
            expectedVersion,
            [new ServiceDefined(new ServiceCode(code), PotholeService with { Code = new ServiceCode(code), Agency = agency }, Instant.FromUtc(2026, 1, 5, 12, 0))],
            Admin,
            null,
            Ct);
}

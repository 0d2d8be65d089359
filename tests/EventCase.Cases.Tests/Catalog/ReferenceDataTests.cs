using EventCase.Cases.Catalog;
using EventCase.Cases.Agencies;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Tests.Handling;
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

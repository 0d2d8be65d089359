using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Opening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Projections;
using NodaTime;
using Npgsql;
using WardProjection;

// 1. A private PostgreSQL (or pass a connection string as the first argument).
await using var postgres = args.Length == 0 ? await EmbeddedPostgres.StartAsync(EmbeddedPostgresOptions.Temporary()) : null;
await using var dataSource = NpgsqlDataSource.Create(args.Length > 0 ? args[0] : postgres!.ConnectionString);

// 2. Register the projection with the store: its table is created by MigrateAsync.
var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), projections: [new OpenCasesPerWard(Wards.Boston)]);
await store.MigrateAsync();

// 3. Some cases: three in Back Bay (one resolved), one in the South End, one without a location.
var agency = new AgencyId("boston");
var now = SystemClock.Instance.GetCurrentInstant();
var system = new EventMetadata("sample", "system");
(double Lat, double Lon)?[] places = [(42.350, -71.080), (42.351, -71.075), (42.349, -71.090), (42.338, -71.070), null];
for (var i = 0; i < places.Length; i++)
{
    var caseId = new CaseId($"ward-sample-{i}");
    var location = places[i] is { } p ? new CaseLocation(new GeoPoint(p.Lat, p.Lon), null) : null;
    List<object> events =
    [
        new CaseOpened(caseId, new CaseNumber("BOS", 2026, i + 1), agency, new ServiceCode("pothole"), "Pothole", null, location,
            Channel.Web, new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(48), now),
    ];
    if (i == 2)
    {
        events.Add(new CaseResolved(caseId, "repaired", "Filled.", now));
    }

    await store.AppendToStreamAsync(CaseStreams.For(agency, caseId), CaseStreams.StreamType, ExpectedVersion.Any,
        events.Select(e => new NewEvent(Guid.NewGuid(), e, system)).ToArray());
}

// 4. The daemon builds the read model (and keeps it current); then we rebuild it, as after changing its logic.
using var daemon = new ProjectionDaemon(store, new ProjectionDaemonOptions { PollInterval = TimeSpan.FromMilliseconds(200) });
await daemon.StartAsync(CancellationToken.None);
await WaitUntilCaughtUpAsync(store);
await store.Projections.RequestRebuildAsync("open_cases_by_ward");
await WaitUntilCaughtUpAsync(store, rebuilt: true);
await daemon.StopAsync(CancellationToken.None);

// 5. Query it.
Console.WriteLine("Open cases per ward:");
foreach (var (ward, open) in await new OpenCasesPerWardQuery(store).CountsAsync("boston"))
{
    Console.WriteLine($"  {ward,-22} {open}");
}

return 0;

static async Task WaitUntilCaughtUpAsync(PostgresEventStore store, bool rebuilt = false)
{
    for (var attempt = 0; attempt < 600; attempt++)
    {
        var status = (await store.Projections.GetStatusAsync()).Single(s => s.Name == "open_cases_by_ward");
        if (status is { State: ProjectionStates.Running, Built: true, LagEvents: 0 } && (!rebuilt || status.Rebuild?.Events > 0))
        {
            return;
        }

        await Task.Delay(100);
    }

    throw new TimeoutException("the projection did not catch up within 60 s");
}

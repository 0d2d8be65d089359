using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.Schema;
using EventCase.EventStore;
using EventCase.Testing;
using NodaTime;
using Npgsql;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

/// <summary>
/// A migrated event store (with the case number lookup inline), the case tables, and a handler, in the test class's own
/// database. Tests of one class share it, so each test works in an agency of its own (<see cref="NewAgency"/>).
/// </summary>
public abstract class HandlerTestBase(DatabaseFixture database) : IAsyncLifetime
{
    protected NpgsqlDataSource DataSource => database.DataSource;

    protected PostgresEventStore Store { get; private set; } = null!;

    protected PostgresCaseNumberAllocator Numbers { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Store = new PostgresEventStore(DataSource, CaseEvents.CreateSerializer(), projections: [new CaseNumberLookupProjection()]);
        await Store.MigrateAsync(Ct);
        await CasesSchema.MigrateAsync(DataSource, cancellationToken: Ct);
        Numbers = new PostgresCaseNumberAllocator(DataSource);
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected CaseCommandHandler Handler(CaseCommandHandlerOptions? options = null) => new(Store, Numbers, options);

    protected static AgencyId NewAgency() => new("agency-" + Guid.NewGuid().ToString("N")[..12]);

    protected static CaseId NewCaseId() => new("case-" + Guid.NewGuid().ToString("N"));

    protected static CommandContext Agent(AgencyId agency, string actor = "agent-7", string? reason = null) =>
        new(agency, actor, "agent", "corr-" + Guid.NewGuid().ToString("N")[..8], "web", reason);

    protected static CaseNumberSeries Series(AgencyId agency, int year = 2026) => new(agency, "BOS", year);

    protected static Func<CaseNumber, OpenCase> OpenFor(CaseId caseId, AgencyId agency) => number => new OpenCase(
        caseId, number, agency, new CatalogEntry(PotholeService with { Agency = agency }), "Deep pothole by the bus stop", Citizen, Location,
        Channel.Web, Attributes(("size", "large")), T0);

    /// <summary>Opens a case in <paramref name="agency"/> through the handler and returns its id.</summary>
    protected async Task<CaseId> OpenCaseAsync(AgencyId agency, CaseCommandHandler? handler = null)
    {
        var caseId = NewCaseId();
        var result = await (handler ?? Handler()).OpenCaseAsync(Agent(agency), caseId, Series(agency), OpenFor(caseId, agency), Ct);
        Assert.IsType<CaseCommandResult.Accepted>(result);
        return caseId;
    }

    protected async Task<List<RecordedEvent>> ReadAsync(AgencyId agency, CaseId caseId)
    {
        var events = new List<RecordedEvent>();
        await foreach (var e in Store.ReadStreamAsync(CaseStreams.For(agency, caseId), ReadStreamOptions.All, Ct))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>Asserts the stream's versions are exactly 1..n and returns n.</summary>
    protected static long AssertContiguous(IReadOnlyList<RecordedEvent> events)
    {
        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.StreamVersion));
        return events.Count;
    }

    protected static Instant Later(int minutes) => At(minutes);
}

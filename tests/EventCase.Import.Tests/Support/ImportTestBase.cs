using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Testing;
using Npgsql;

namespace EventCase.Import.Tests.Support;

/// <summary>A migrated event store without inline projections (the import configuration) in the class's own database.
/// Tests of one class share it, so each works in an agency (tenant) of its own.</summary>
public abstract class ImportTestBase(DatabaseFixture database) : IAsyncLifetime
{
    protected NpgsqlDataSource DataSource => database.DataSource;

    protected string ConnectionString => database.ConnectionString;

    protected PostgresEventStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Store = new PostgresEventStore(DataSource, CaseEvents.CreateSerializer());
        await Store.MigrateAsync(Ct);
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected static AgencyId NewAgency(string prefix) => new(prefix + "-" + Guid.NewGuid().ToString("N")[..10]);

    protected Task<ImportSummary> ImportAsync(string file, ImportMapping mapping, AgencyId tenant, ImportOptions? options = null) =>
        new CsvImporter(Store).ImportAsync(file, mapping, tenant, options, Ct);

    /// <summary>Imports <paramref name="csv"/> (written to a temporary file, deleted afterwards).</summary>
    protected async Task<ImportSummary> ImportCsvAsync(string csv, ImportMapping mapping, AgencyId tenant, ImportOptions? options = null)
    {
        var file = Path.Combine(Path.GetTempPath(), "import-" + Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(file, csv, Ct);
        try
        {
            return await ImportAsync(file, mapping, tenant, options);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The events of one imported case, in order.</summary>
    protected async Task<IReadOnlyList<RecordedEvent>> CaseEventsAsync(AgencyId tenant, string caseId)
    {
        var events = new List<RecordedEvent>();
        await foreach (var e in Store.ReadStreamAsync(CaseStreams.For(tenant, new CaseId(caseId)), cancellationToken: Ct))
        {
            events.Add(e);
        }

        return events;
    }

    protected async Task<long> CountAsync(string sql, AgencyId tenant)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant.Value });
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    protected Task<long> EventCountAsync(AgencyId tenant) => CountAsync("SELECT count(*) FROM eventcase.events WHERE tenant_id = $1", tenant);

    protected Task<long> StreamCountAsync(AgencyId tenant) => CountAsync("SELECT count(*) FROM eventcase.streams WHERE tenant_id = $1", tenant);

    protected static CaseState Fold(IEnumerable<RecordedEvent> events) =>
        CaseDecider.Fold(CaseState.Initial, events.Select(e => (CaseEvent)e.Data));
}

using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cli.Tests;

/// <summary>
/// Read-only commands on a replica (docs/operating.md): they read the schema the service migrated and never create or
/// migrate one, so they run on a read-only connection, and a mistyped schema is an error, not a new empty store.
/// </summary>
public sealed class ReadOnlyDatabaseTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What a hot standby accepts: every transaction is read-only.</summary>
    private string ReadOnlyConnection => database.ConnectionString + ";Options=-c default_transaction_read_only=on";

    public async ValueTask InitializeAsync()
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CliSession.Calendars));
        await store.MigrateAsync(Ct);
        var caseId = new CaseId("replicated-1");
        var stream = CaseStreams.For(new AgencyId("boston"), caseId);
        if (await store.GetStreamInfoAsync(stream, Ct) is null)
        {
            await store.AppendToStreamAsync(stream, CaseStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(Guid.NewGuid(), new NoteAdded(caseId, NoteVisibility.Internal, "a note", Instant.FromUtc(2026, 3, 2, 14, 0)), new EventMetadata("agent-7", "agent"))], Ct);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("audit", "verify", "--tenant", "boston")]
    [InlineData("audit", "export", "--tenant", "boston", "--stream", "replicated-1")]
    [InlineData("report", "transparency", "--agency", "boston", "--from", "2026-01-01", "--to", "2026-03-31")]
    [InlineData("projections", "status")]
    [InlineData("replay", "replicated-1", "--agency", "boston")]
    public async Task A_read_only_command_runs_on_a_read_only_connection(params string[] args)
    {
        var (exit, _, error) = await CliRunner.RunAsync([.. args, "--connection", ReadOnlyConnection]);

        Assert.True(exit == 0, error);
    }

    [Fact]
    public async Task A_checkpoint_is_signed_on_a_read_only_connection()
    {
        var directory = Directory.CreateTempSubdirectory("eventcase-replica-").FullName;
        try
        {
            var key = Path.Combine(directory, "agency.pem");
            await CliRunner.RunAsync("audit", "keygen", "--out", key);

            var (exit, output, error) = await CliRunner.RunAsync("audit", "checkpoint", "--tenant", "boston", "--key", key, "--connection", ReadOnlyConnection);

            Assert.True(exit == 0, error);
            Assert.Contains("\"tenant\": \"boston\"", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Import_on_a_read_only_connection_is_one_error_line()
    {
        var source = Path.GetTempFileName();
        try
        {
            var mapping = RepositoryFiles.Path("mappings", "boston_311_2015.json");

            var (exit, _, error) = await CliRunner.RunAsync("import", source, "--mapping", mapping, "--tenant", "boston", "--connection", ReadOnlyConnection);

            Assert.Equal(1, exit);
            Assert.StartsWith("error: the database is read-only", error, StringComparison.Ordinal);
            Assert.Contains("(25006: cannot execute", error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Theory]
    [InlineData("projections check", "projections", "check", "--agency", "boston", "--sample", "1")]
    [InlineData("projections rebuild-case", "projections", "rebuild-case", "replicated-1", "--agency", "boston", "--dry-run")]
    [InlineData("projections rebuild", "projections", "rebuild", "work_queue")]
    public async Task A_command_that_writes_says_on_a_read_only_connection_that_it_needs_the_primary_even_when_it_only_compares(string command, params string[] args)
    {
        // A check and a dry run change nothing, yet compare by folding into the tables and rolling back: PostgreSQL's
        // "cannot execute DELETE in a read-only transaction" alone told an operator neither why nor where to run them.
        var (exit, output, error) = await CliRunner.RunAsync([.. args, "--connection", ReadOnlyConnection]);

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith($"error: the database is read-only (a hot standby, or default_transaction_read_only is on) and `eventcase {command}` writes to it", error, StringComparison.Ordinal);
        Assert.Contains("run it against the primary", error, StringComparison.Ordinal);
        Assert.Contains("(25006: cannot execute", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("audit", "verify")]
    [InlineData("projections", "status")]
    [InlineData("report", "transparency", "--agency", "boston")]
    public async Task A_mistyped_schema_is_an_error_and_is_not_created(params string[] args)
    {
        var (exit, output, error) = await CliRunner.RunAsync([.. args, "--schema", "eventcas", "--connection", database.ConnectionString]);

        Assert.Equal(1, exit);
        Assert.DoesNotContain("intact", output, StringComparison.Ordinal);
        Assert.Equal("error: schema 'eventcas' holds no EventCase event store (is --schema right?); the service, or `eventcase import`, creates it on the primary", error.Trim());
        await using var schema = database.DataSource.CreateCommand("SELECT count(*) FROM pg_namespace WHERE nspname = 'eventcas'");
        Assert.Equal(0L, await schema.ExecuteScalarAsync(Ct));
    }
}

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
/// The exit codes the README's table promises, command by command, as a script or a cron job branches on them: done,
/// bad arguments, a database that cannot be reached, and nothing matched. (Tampering, 3, is audit's and replay's own
/// tests'; Ctrl-C, 130, the import's and projections check's.)
/// </summary>
public sealed class ExitCodeTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Nothing listens on port 1: the connection is refused at once.</summary>
    private const string Unreachable = "Host=127.0.0.1;Port=1;Timeout=5";

    public async ValueTask InitializeAsync()
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CliSession.Calendars));
        await store.MigrateAsync(Ct);
        var caseId = new CaseId("sweep-1");
        var stream = CaseStreams.For(new AgencyId("boston"), caseId);
        if (await store.GetStreamInfoAsync(stream, Ct) is null)
        {
            await store.AppendToStreamAsync(stream, CaseStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(Guid.NewGuid(), new NoteAdded(caseId, NoteVisibility.Internal, "a note", Instant.FromUtc(2026, 3, 2, 14, 0)), new EventMetadata("agent-7", "agent"))], Ct);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The command line, the database it is given ("db", "unreachable", or none), the exit code, and the start of its line on standard error.</summary>
    public static TheoryData<string, string, int, string> Commands => new()
    {
        // Done.
        { "projections status", "db", 0, "" },
        { "audit verify --tenant boston", "db", 0, "" },
        { "replay sweep-1 --agency boston", "db", 0, "" },
        { "report transparency --agency boston", "db", 0, "" },
        { "audit export --tenant boston --stream sweep-1", "db", 0, "" },

        // Bad arguments: nothing was changed, the database was not even asked.
        { "projections status --bogus", "unreachable", 2, "error: Unrecognized command or argument '--bogus'" },
        { "projections rebuild no_such_projection", "db", 2, "error: no projection named 'no_such_projection'" },
        { "projections check --agency boston --sample 0", "unreachable", 2, "error: --sample must be 1 to 1,000,000." },
        { "projections rebuild-case sweep-1", "unreachable", 2, "error: Option '--agency' is required." },
        { "replay sweep-1 --agency boston --at yesterday", "unreachable", 2, "error: --at 'yesterday' is not" },
        { "audit verify --stream sweep-1", "unreachable", 2, "error: --stream needs --tenant." },
        { "audit export --tenant boston", "unreachable", 2, "error: give either --stream, or --from and --to." },
        { "audit checkpoint --tenant boston --key /nonexistent/key.pem", "unreachable", 2, "error: --key: /nonexistent/key.pem does not exist." },
        { "report transparency --agency boston --period quarter", "unreachable", 2, "error: Argument 'quarter' not recognized" },
        { "import /nonexistent/rows.csv --mapping /nonexistent/m.json --tenant boston", "unreachable", 2, "error: --mapping: /nonexistent/m.json does not exist.; /nonexistent/rows.csv does not exist." },

        // A database that cannot be reached.
        { "projections status", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "projections rebuild case_numbers", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "projections rebuild-case sweep-1 --agency boston", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "projections check --agency boston", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "replay sweep-1 --agency boston", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "audit verify", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "audit export --tenant boston --stream sweep-1", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "report transparency --agency boston", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },
        { "adopt-restored-log", "unreachable", 1, "error: Failed to connect to 127.0.0.1:1: Connection refused" },

        // Nothing matched: a typo, not an empty answer. (projections rebuild-case of a case id without events exits 0
        // saying there is nothing to rebuild: it removes rows left without events, RebuildCaseCommandTests.)
        { "replay no-such-case --agency boston", "db", 1, "error: no case no-such-case in agency boston" },
        { "projections rebuild-case BOS-2026-999999 --agency boston", "db", 1, "error: no case BOS-2026-999999 in agency boston" },
        { "audit verify --tenant boston --stream no-such-case", "db", 1, "error: nothing to verify: tenant 'boston' has no stream 'no-such-case'" },
        { "audit verify --tenant nobody", "db", 1, "error: nothing to verify: tenant 'nobody' has no streams" },
        { "audit export --tenant boston --stream no-such-case", "db", 1, "error: nothing to export: tenant 'boston' has no stream 'no-such-case'" },
        { "report transparency --agency nobody", "db", 1, "error: nothing to report: agency 'nobody' has no streams" },
        { "projections check --agency nobody", "db", 1, "error: nothing to check: agency 'nobody' has no streams" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Each_command_exits_with_the_code_the_readme_gives_for_what_happened(string commandLine, string connection, int expected, string errorStart)
    {
        string[] given = connection switch
        {
            "db" => ["--connection", database.ConnectionString],
            "unreachable" => ["--connection", Unreachable],
            _ => [],
        };

        var (exit, _, error) = await CliRunner.RunAsync([.. commandLine.Split(' '), .. given]);

        Assert.True(exit == expected, $"exit code {exit}, not {expected}: {error}");
        Assert.StartsWith(errorStart, error, StringComparison.Ordinal);
        Assert.True(expected == 0 ? error.Length == 0 : error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, error);
    }
}

using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.Testing;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Hosting;

/// <summary>
/// What the service refuses to start on — no signing key in Production, a schema the event store refuses (migrated by
/// a newer build, a script that differs, a log restored from another cluster) — stops it with the reason in one line on
/// standard error and exit code 1, as docs/operating.md says and as <c>eventcase serve</c> did, instead of an unhandled
/// exception (exit code 134, the reason printed twice among stack traces) when the service is run as
/// <c>dotnet run --project src/EventCase.Server</c> or <c>dotnet EventCase.Server.dll</c>.
/// </summary>
public sealed class RefusedStartTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_schema_a_newer_build_migrated_is_one_line_naming_the_migration_and_exit_code_one()
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(Ct);
        await using (var newer = database.DataSource.CreateCommand(
            "INSERT INTO eventcase.schema_migrations (migration_set, version, name, checksum) VALUES ('eventstore', 9999, 'from_a_newer_build', 'x')"))
        {
            await newer.ExecuteNonQueryAsync(Ct);
        }

        var (exit, _, error) = await ServerProcess.RunUntilExitAsync(
            ["--urls", "http://127.0.0.1:0", "--ConnectionStrings:EventCase", database.ConnectionString, "--Auth:SigningKey", SigningKey], Ct);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Schema 'eventcase' has migration eventstore 9999, which this build does not carry", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_without_a_signing_key_is_one_line_saying_so_and_exit_code_one()
    {
        var (exit, _, error) = await ServerProcess.RunUntilExitAsync(
            ["--urls", "http://127.0.0.1:0", "--ConnectionStrings:EventCase", database.ConnectionString], Ct);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Auth:SigningKey is not configured.", line, StringComparison.Ordinal);
    }
}

using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cli.Tests;

public sealed class AuditCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Directory.CreateTempSubdirectory("eventcase-audit-cli-").FullName;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Five cases of three events in a tenant of the test's own (tests tamper with their data).</summary>
    private async Task<string> SeedAsync()
    {
        var tenant = "agency-" + Guid.NewGuid().ToString("N")[..8];
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: [new CaseNumberLookupProjection()]);
        await store.MigrateAsync(Ct);
        var metadata = new EventMetadata("agent-7", "agent");
        for (var i = 0; i < 5; i++)
        {
            var caseId = new CaseId($"audited-{i}");
            await store.AppendToStreamAsync(CaseStreams.For(new AgencyId(tenant), caseId), CaseStreams.StreamType, ExpectedVersion.NoStream,
                Enumerable.Range(0, 3).Select(n => new NewEvent(Guid.NewGuid(), new NoteAdded(caseId, NoteVisibility.Internal, $"note {n}", Instant.FromUtc(2026, 3, 2, 14, n)), metadata)).ToArray(), Ct);
        }

        return tenant;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--connection", database.ConnectionString]);

    private async Task TamperAsync(string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task Verify_reports_an_intact_store_then_locates_an_edit_made_with_plain_sql()
    {
        var tenant = await SeedAsync();
        var (cleanExit, clean, cleanError) = await RunAsync("audit", "verify", "--tenant", tenant);
        Assert.True(cleanExit == 0, cleanError);
        Assert.Contains("15 events in 5 streams checked", clean, StringComparison.Ordinal);
        Assert.Contains("intact", clean, StringComparison.Ordinal);

        await TamperAsync($"UPDATE eventcase.events SET data = jsonb_set(data, '{{text}}', '\"rewritten\"') WHERE tenant_id = '{tenant}' AND stream_id = 'audited-3' AND stream_version = 2");
        var (exit, output, _) = await RunAsync("audit", "verify", "--tenant", tenant);

        Assert.Equal(3, exit);
        Assert.Contains($"{tenant}/audited-3 version 2", output, StringComparison.Ordinal);
        Assert.Contains("ALTERED", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_checkpoint_verifies_until_something_it_covers_is_deleted()
    {
        var tenant = await SeedAsync();
        var key = Path.Combine(_directory, "audit.pem");
        var checkpoint = Path.Combine(_directory, "checkpoint.json");
        var (keyExit, keyOutput, _) = await RunAsync("audit", "keygen", "--out", key);
        Assert.Equal(0, keyExit);
        var publicKey = Path.Combine(_directory, "audit.pub.pem");
        await File.WriteAllTextAsync(publicKey, keyOutput[keyOutput.IndexOf("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal)..], Ct);

        var (checkpointExit, _, checkpointError) = await RunAsync("audit", "checkpoint", "--tenant", tenant, "--key", key, "--out", checkpoint);
        Assert.True(checkpointExit == 0, checkpointError);
        var (okExit, ok, _) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint, "--public-key", publicKey);
        Assert.Equal(0, okExit);
        Assert.Contains("signature valid (trusted key), root matches", ok, StringComparison.Ordinal);

        await TamperAsync($"DELETE FROM eventcase.events WHERE tenant_id = '{tenant}' AND stream_id = 'audited-1' AND stream_version = 3");
        var (exit, output, _) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint, "--public-key", publicKey);

        Assert.Equal(3, exit);
        Assert.Contains("audited-1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_writes_every_event_of_a_stream_with_its_hash()
    {
        var tenant = await SeedAsync();
        var file = Path.Combine(_directory, "audited-0.jsonl");

        var (exit, output, error) = await RunAsync("audit", "export", "--tenant", tenant, "--stream", "audited-0", "--out", file);

        Assert.True(exit == 0, error);
        Assert.Contains("3 events of 1 streams", output, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(file, Ct);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"hash\":\"", line, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--stream needs --tenant", "audit", "verify", "--stream", "x")]
    [InlineData("give either --stream, or --from and --to", "audit", "export", "--tenant", "boston")]
    [InlineData("is not an ISO-8601 instant", "audit", "export", "--tenant", "boston", "--from", "last week", "--to", "2026-01-01T00:00:00Z")]
    public async Task Bad_audit_arguments_are_one_clear_line(string expected, params string[] args)
    {
        var (exit, _, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}

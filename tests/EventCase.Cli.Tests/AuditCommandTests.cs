using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using NodaTime;
using NodaTime.Text;

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
        // As a chain's finding is printed: the kind, the stream, the version and what is wrong, each once.
        Assert.Contains($"EventMissing {tenant}/audited-1 version 3: no event at the checkpointed version 3", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tenant")]
    [InlineData("--stream")]
    [InlineData("")]
    public async Task Verifying_against_a_checkpoint_reads_each_event_once_for_the_chains_and_the_checkpoint(string scope)
    {
        var tenant = await SeedAsync();
        var (_, publicKey, checkpoint) = await CheckpointAsync(tenant);
        string[] options = scope switch
        {
            "--tenant" => ["--tenant", tenant],
            "--stream" => ["--tenant", tenant, "--stream", "audited-2"],
            _ => [],
        };

        // Counted where it happens, on the wire: the statements that read events with their hashes, this test's only.
        int exit, statements;
        string output, error;
        using (var reads = new EventReads())
        {
            (exit, output, error) = await RunAsync(["audit", "verify", .. options, "--since-checkpoint", checkpoint, "--public-key", publicKey]);
            statements = reads.Statements;
        }

        // The whole store also holds the tenants other tests of the class tampered with.
        Assert.True(exit == 0 || (scope == "" && exit == 3 && !output.Contains(tenant + "/", StringComparison.Ordinal)), error + output);
        Assert.Contains($"checkpoint of {tenant} at ", output, StringComparison.Ordinal);
        Assert.Contains("signature valid (trusted key), root matches", output, StringComparison.Ordinal);
        Assert.Contains(scope == "--stream" ? "3 events in 1 streams checked" : scope == "--tenant" ? "15 events in 5 streams checked" : "store: ", output, StringComparison.Ordinal);
        Assert.Equal(1, statements);
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
    [InlineData("jsonl")]
    [InlineData("csv")]
    public async Task An_export_verifies_offline_and_an_edited_line_is_located_without_the_database(string format)
    {
        var tenant = await SeedAsync();
        var file = Path.Combine(_directory, $"period.{format}");
        var (exportExit, _, exportError) = await RunAsync(
            "audit", "export", "--tenant", tenant, "--from", "2026-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z", "--format", format, "--out", file);
        Assert.True(exportExit == 0, exportError);

        // No --connection: the check needs nothing but the file (the format follows from its name).
        var (cleanExit, clean, cleanError) = await CliRunner.RunAsync(["audit", "verify-export", file]);
        Assert.True(cleanExit == 0, cleanError);
        Assert.Contains("15 events in 5 streams checked", clean, StringComparison.Ordinal);
        Assert.Contains("intact", clean, StringComparison.Ordinal);

        var text = await File.ReadAllTextAsync(file, Ct);
        var edited = text.Replace("note 1", "note 9", StringComparison.Ordinal);
        Assert.NotEqual(text, edited);
        await File.WriteAllTextAsync(file, edited, Ct);
        var (alteredExit, altered, _) = await CliRunner.RunAsync(["audit", "verify-export", file]);
        Assert.Equal(3, alteredExit);
        Assert.Contains("version 2", altered, StringComparison.Ordinal);
        Assert.Contains("ALTERED", altered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_export_cut_off_mid_line_is_reported_altered_and_a_file_that_is_no_export_is_a_bad_argument()
    {
        var tenant = await SeedAsync();
        var file = Path.Combine(_directory, "cut.jsonl");
        var (exportExit, _, exportError) = await RunAsync("audit", "export", "--tenant", tenant, "--stream", "audited-0", "--out", file);
        Assert.True(exportExit == 0, exportError);
        var text = await File.ReadAllTextAsync(file, Ct);
        await File.WriteAllTextAsync(file, text[..(text.LastIndexOf("\"hash\"", StringComparison.Ordinal) - 10)], Ct);

        var (cutExit, cut, _) = await CliRunner.RunAsync(["audit", "verify-export", file]);
        Assert.Equal(3, cutExit);
        Assert.Contains("ALTERED: the file stops being an export after 2 events", cut, StringComparison.Ordinal);

        var notAnExport = Path.Combine(_directory, "notes.csv");
        await File.WriteAllTextAsync(notAnExport, "name,value\nx,1\n", Ct);
        var (wrongExit, _, wrongError) = await CliRunner.RunAsync(["audit", "verify-export", notAnExport]);
        Assert.Equal(2, wrongExit);
        Assert.Contains("is not an audit export (csv)", wrongError, StringComparison.Ordinal);
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

    /// <summary>A key pair (the private key's file, the public key's file) and a signed checkpoint of the tenant.</summary>
    private async Task<(string Key, string PublicKey, string Checkpoint)> CheckpointAsync(string tenant, string name = "audit")
    {
        var key = Path.Combine(_directory, name + ".pem");
        var (keyExit, keyOutput, keyError) = await RunAsync("audit", "keygen", "--out", key);
        Assert.True(keyExit == 0, keyError);
        var publicKey = Path.Combine(_directory, name + ".pub.pem");
        await File.WriteAllTextAsync(publicKey, keyOutput[keyOutput.IndexOf("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal)..], Ct);
        var checkpoint = Path.Combine(_directory, $"{name}-{tenant}.json");
        var (checkpointExit, _, checkpointError) = await RunAsync("audit", "checkpoint", "--tenant", tenant, "--key", key, "--out", checkpoint);
        Assert.True(checkpointExit == 0, checkpointError);
        return (key, publicKey, checkpoint);
    }

    private static void AssertOneLine(string error) => Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

    [Theory]
    [InlineData("bad")]
    [InlineData("")]
    [InlineData("{}")]
    public async Task A_checkpoint_file_that_is_not_a_checkpoint_is_a_bad_argument_reported_before_any_verification(string content)
    {
        var tenant = await SeedAsync();
        var file = Path.Combine(_directory, "not-a-checkpoint.json");
        await File.WriteAllTextAsync(file, content, Ct);

        var (exit, output, error) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", file);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"--since-checkpoint {file} is not an audit checkpoint", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_checkpoint_of_another_tenant_is_a_bad_argument_not_a_verdict()
    {
        var tenant = await SeedAsync();
        var other = await SeedAsync();
        var (_, _, checkpoint) = await CheckpointAsync(other);

        var (exit, output, error) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"is a checkpoint of tenant '{other}', not of --tenant '{tenant}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_public_key_file_that_holds_no_key_is_a_bad_argument_not_tampering()
    {
        var tenant = await SeedAsync();
        var (_, _, checkpoint) = await CheckpointAsync(tenant);
        var badKey = Path.Combine(_directory, "bad.pem");
        await File.WriteAllTextAsync(badKey, "not a key", Ct);

        var (exit, output, error) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint, "--public-key", badKey);

        Assert.Equal(2, exit);
        Assert.DoesNotContain("ALTERED", output, StringComparison.Ordinal);
        Assert.Contains($"--public-key {badKey} holds no ECDSA P-256 public key", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_key_file_without_a_PEM_block_is_called_that_without_advice_to_pass_the_contents_instead_of_the_path()
    {
        var tenant = await SeedAsync();
        var (_, _, checkpoint) = await CheckpointAsync(tenant);

        var (signExit, _, signError) = await RunAsync("audit", "checkpoint", "--tenant", tenant, "--key", checkpoint);
        var (verifyExit, _, verifyError) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint, "--public-key", checkpoint);

        Assert.Equal(2, signExit);
        Assert.Equal(2, verifyExit);
        Assert.Contains($"--key {checkpoint} holds no ECDSA P-256 private key (PEM): the file has no PEM block (-----BEGIN … KEY-----)", signError, StringComparison.Ordinal);
        Assert.Contains($"--public-key {checkpoint} holds no ECDSA P-256 public key (PEM): the file has no PEM block (-----BEGIN … KEY-----)", verifyError, StringComparison.Ordinal);
        Assert.DoesNotContain("path", signError + verifyError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_signed_with_another_key_than_the_trusted_one_is_altered_and_says_why()
    {
        var tenant = await SeedAsync();
        var (_, _, checkpoint) = await CheckpointAsync(tenant);
        var (_, otherPublicKey, _) = await CheckpointAsync(tenant, "other");

        var (exit, output, _) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint, "--public-key", otherPublicKey);

        Assert.Equal(3, exit);
        Assert.Contains("ALTERED: the checkpoint is not signed with the trusted key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_whose_signature_was_altered_is_called_invalid_under_the_trusted_key_not_signed_by_another_key()
    {
        var tenant = await SeedAsync();
        var (_, publicKey, checkpoint) = await CheckpointAsync(tenant);
        AuditCheckpoint signed;
        await using (var read = File.OpenRead(checkpoint))
        {
            signed = await AuditCheckpoint.ReadJsonAsync(read, Ct);
        }

        // The signature's first byte flipped; the key id still names the trusted key.
        await using (var write = File.Create(checkpoint))
        {
            await (signed with { Signature = [(byte)(signed.Signature[0] ^ 1), .. signed.Signature.Skip(1)] }).WriteJsonAsync(write, Ct);
        }

        var (exit, output, _) = await RunAsync("audit", "verify", "--tenant", tenant, "--since-checkpoint", checkpoint, "--public-key", publicKey);

        Assert.Equal(3, exit);
        Assert.Contains("signature INVALID (trusted key), root matches", output, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT the trusted key", output, StringComparison.Ordinal);
        Assert.Contains("ALTERED: the checkpoint's signature does not verify", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tenant", "no-such-tenant")]
    [InlineData("--stream", "no-such-stream")]
    public async Task Verifying_what_does_not_exist_fails_instead_of_passing_for_a_clean_audit(string option, string value)
    {
        var tenant = await SeedAsync();
        string[] scope = option == "--tenant" ? ["--tenant", value] : ["--tenant", tenant, "--stream", value];

        var (exit, output, error) = await RunAsync(["audit", "verify", .. scope]);

        Assert.Equal(1, exit);
        Assert.DoesNotContain("intact", output, StringComparison.Ordinal);
        Assert.StartsWith("error: nothing to verify: ", error, StringComparison.Ordinal);
        Assert.Contains(value, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_altered_verdict_shows_its_findings_even_outside_the_verified_stream()
    {
        var tenant = await SeedAsync();
        var (_, publicKey, checkpoint) = await CheckpointAsync(tenant);
        await TamperAsync($"UPDATE eventcase.events SET data = jsonb_set(data, '{{text}}', '\"rewritten\"') WHERE tenant_id = '{tenant}' AND stream_id = 'audited-3' AND stream_version = 2");

        var (exit, output, _) = await RunAsync("audit", "verify", "--tenant", tenant, "--stream", "audited-0", "--since-checkpoint", checkpoint, "--public-key", publicKey);

        Assert.Equal(3, exit);
        Assert.Contains($"EditedEvent {tenant}/audited-3 version 2", output, StringComparison.Ordinal);
        Assert.Contains($"ALTERED: 1 stream(s) of {tenant} with a broken chain", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("audit", "export", "--tenant", "boston", "--stream", "s", "--out", "/nonexistent/e.jsonl")]
    [InlineData("audit", "checkpoint", "--tenant", "boston", "--out", "/nonexistent/cp.json")]
    [InlineData("audit", "keygen", "--out", "/nonexistent/k.pem")]
    public async Task An_output_file_in_a_directory_that_does_not_exist_is_a_bad_argument(params string[] args)
    {
        var (exit, _, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains("--out: /nonexistent/", error, StringComparison.Ordinal);
        Assert.Contains("the directory /nonexistent does not exist", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Theory]
    [InlineData("audit", "export", "--tenant", "boston", "--stream", "s", "--out")]
    [InlineData("audit", "checkpoint", "--tenant", "boston", "--out")]
    [InlineData("audit", "keygen", "--out")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task An_output_file_in_a_directory_that_cannot_be_written_is_a_bad_argument_before_any_work(params string[] args)
    {
        // A checkpoint was signed after verifying the whole tenant, then failed to be written: exit 1, the work lost.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        var readOnly = Directory.CreateDirectory(Path.Combine(_directory, "read-only")).FullName;
        using var locked = UnwritableDirectory.Lock(readOnly);
        var target = Path.Combine(readOnly, "out.json");

        var (exit, output, error) = await CliRunner.RunAsync([.. args, target, "--connection", "Host=127.0.0.1;Port=1;Timeout=5"]);

        Assert.Equal((2, ""), (exit, output));
        Assert.StartsWith($"error: --out: {target} cannot be written: ", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task An_output_path_that_is_a_directory_is_a_bad_argument()
    {
        var (exit, _, error) = await CliRunner.RunAsync("audit", "keygen", "--out", _directory);

        Assert.Equal(2, exit);
        Assert.Contains($"--out: {_directory} is a directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_never_replaces_a_key_unless_forced_and_creates_it_readable_by_its_owner_only()
    {
        var key = Path.Combine(_directory, "signing.pem");
        var (firstExit, _, firstError) = await CliRunner.RunAsync("audit", "keygen", "--out", key);
        Assert.True(firstExit == 0, firstError);
        var original = await File.ReadAllTextAsync(key, Ct);

        var (refusedExit, _, refused) = await CliRunner.RunAsync("audit", "keygen", "--out", key);
        Assert.Equal(2, refusedExit);
        Assert.Contains("Pass --force to replace it", refused, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(key, Ct));

        var (forcedExit, _, forcedError) = await CliRunner.RunAsync("audit", "keygen", "--out", key, "--force");
        Assert.True(forcedExit == 0, forcedError);
        Assert.NotEqual(original, await File.ReadAllTextAsync(key, Ct));
        Assert.Single(Directory.GetFiles(_directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
    }

    [Fact]
    public async Task An_export_period_given_with_offsets_is_the_same_period_as_in_utc()
    {
        var tenant = await SeedAsync();
        var utcFile = Path.Combine(_directory, "utc.jsonl");
        var offsetFile = Path.Combine(_directory, "offset.jsonl");
        var now = SystemClock.Instance.GetCurrentInstant();
        var from = now - Duration.FromDays(1);
        var to = now + Duration.FromDays(1);

        var (utcExit, _, utcError) = await RunAsync("audit", "export", "--tenant", tenant,
            "--from", InstantPattern.ExtendedIso.Format(from), "--to", InstantPattern.ExtendedIso.Format(to), "--out", utcFile);
        var (offsetExit, _, offsetError) = await RunAsync("audit", "export", "--tenant", tenant,
            "--from", OffsetDateTimePattern.ExtendedIso.Format(from.WithOffset(Offset.FromHours(-5))),
            "--to", OffsetDateTimePattern.ExtendedIso.Format(to.WithOffset(Offset.FromHoursAndMinutes(5, 30))), "--out", offsetFile);

        Assert.True(utcExit == 0, utcError);
        Assert.True(offsetExit == 0, offsetError);
        Assert.Equal(15, (await File.ReadAllLinesAsync(utcFile, Ct)).Length);
        Assert.Equal(await File.ReadAllTextAsync(utcFile, Ct), await File.ReadAllTextAsync(offsetFile, Ct));
    }

    [Theory]
    [InlineData("--from and --to go together", "--to", "2026-01-01T00:00:00Z")]
    [InlineData("--from and --to go together", "--from", "2026-01-01T00:00:00Z")]
    [InlineData("is not after --from", "--from", "2026-02-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z")]
    public async Task An_export_with_a_bad_period_leaves_the_output_file_as_it_was(string expected, params string[] period)
    {
        var file = Path.Combine(_directory, "export.jsonl");
        await File.WriteAllTextAsync(file, "previous export\n", Ct);

        var (exit, _, error) = await CliRunner.RunAsync(["audit", "export", "--tenant", "boston", .. period, "--out", file]);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Equal("previous export\n", await File.ReadAllTextAsync(file, Ct));
    }

    [Fact]
    public async Task An_export_of_a_stream_that_does_not_exist_fails_and_leaves_the_output_file_as_it_was()
    {
        var tenant = await SeedAsync();
        var file = Path.Combine(_directory, "export.jsonl");
        await File.WriteAllTextAsync(file, "previous export\n", Ct);

        var (exit, _, error) = await RunAsync("audit", "export", "--tenant", tenant, "--stream", "no-such-stream", "--out", file);

        Assert.Equal(1, exit);
        Assert.Equal($"error: nothing to export: tenant '{tenant}' has no stream 'no-such-stream'", error.Trim());
        Assert.Equal("previous export\n", await File.ReadAllTextAsync(file, Ct));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task A_checkpoint_of_a_tenant_without_streams_is_not_signed()
    {
        await SeedAsync();
        var key = Path.Combine(_directory, "audit.pem");
        await RunAsync("audit", "keygen", "--out", key);
        var checkpoint = Path.Combine(_directory, "checkpoint.json");

        var (exit, _, error) = await RunAsync("audit", "checkpoint", "--tenant", "no-such-tenant", "--key", key, "--out", checkpoint);

        Assert.Equal(1, exit);
        Assert.Contains("nothing to checkpoint: tenant 'no-such-tenant' has no streams", error, StringComparison.Ordinal);
        Assert.False(File.Exists(checkpoint));
    }

    [Fact]
    public async Task A_checkpoint_over_a_broken_chain_is_not_signed_and_exits_as_tampering_found_naming_the_first_finding()
    {
        var tenant = await SeedAsync();
        var key = Path.Combine(_directory, "audit.pem");
        await RunAsync("audit", "keygen", "--out", key);
        var checkpoint = Path.Combine(_directory, "checkpoint.json");
        await TamperAsync($"UPDATE eventcase.events SET data = jsonb_set(data, '{{text}}', '\"rewritten\"') WHERE tenant_id = '{tenant}' AND stream_id = 'audited-2' AND stream_version = 2");

        var (exit, _, error) = await RunAsync("audit", "checkpoint", "--tenant", tenant, "--key", key, "--out", checkpoint);

        Assert.Equal(3, exit);
        AssertOneLine(error);
        Assert.Contains("no checkpoint was signed", error, StringComparison.Ordinal);
        Assert.Contains($"{tenant}/audited-2", error, StringComparison.Ordinal);
        Assert.False(File.Exists(checkpoint));
    }

    [Fact]
    public async Task A_checkpoint_signed_with_a_public_key_is_a_bad_argument()
    {
        var tenant = await SeedAsync();
        var (_, publicKey, _) = await CheckpointAsync(tenant);

        var (exit, _, error) = await RunAsync("audit", "checkpoint", "--tenant", tenant, "--key", publicKey);

        Assert.Equal(2, exit);
        Assert.Contains("is a public key; a checkpoint is signed with the private key", error, StringComparison.Ordinal);
    }
}

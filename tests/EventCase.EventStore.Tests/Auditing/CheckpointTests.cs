using System.Text;
using EventCase.EventStore.Auditing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using NodaTime;
using NodaTime.Testing;

namespace EventCase.EventStore.Tests.Auditing;

public sealed class CheckpointTests(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Row = "tenant_id = $1 AND stream_id = $2";

    private static readonly FakeClock Clock = new(Instant.FromUtc(2026, 3, 3, 14, 0, 0).PlusNanoseconds(123_456_789));

    private AuditCheckpoints Checkpoints => new(Store, Clock);

    private async Task<(string Tenant, List<StreamName> Streams)> TenantAsync(int streams = 5)
    {
        var tenant = NewTenant();
        var list = new List<StreamName>();
        for (var i = 0; i < streams; i++)
        {
            list.Add(await StreamWithNotesAsync(2 + i, tenant));
        }

        return (tenant, list);
    }

    [Fact]
    public async Task A_checkpoint_lists_every_stream_head_of_the_tenant_and_verifies_against_the_unchanged_store()
    {
        var (tenant, streams) = await TenantAsync();
        using var key = CheckpointSigningKey.Generate();

        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        var verification = await Checkpoints.VerifyAsync(checkpoint, key.PublicKeyPem, Ct);

        Assert.Equal(5, checkpoint.StreamCount);
        Assert.Equal(2 + 3 + 4 + 5 + 6, checkpoint.EventCount);
        Assert.Equal(streams.Select(s => s.Id).Order(StringComparer.Ordinal), checkpoint.Heads.Select(h => h.StreamId));
        Assert.Equal(Clock.GetCurrentInstant().ToUnixTimeTicks() / 10 * 10, checkpoint.CreatedAt.ToUnixTimeTicks());
        Assert.True(verification.IsValid);
        Assert.True(verification.SignedByTrustedKey);
    }

    [Fact]
    public async Task A_checkpoint_survives_a_round_trip_through_its_json_and_still_verifies()
    {
        var (tenant, _) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);

        using var file = new MemoryStream();
        await checkpoint.WriteJsonAsync(file, Ct);
        file.Position = 0;
        var read = await AuditCheckpoint.ReadJsonAsync(file, Ct);

        Assert.Equal(checkpoint.MerkleRoot, read.MerkleRoot);
        Assert.Equal(checkpoint.Heads, read.Heads);
        Assert.Equal(checkpoint.CreatedAt, read.CreatedAt);
        Assert.Equal(checkpoint.Signature, read.Signature);
        Assert.Equal(CheckpointSigningKey.Algorithm, read.Algorithm);
        Assert.True((await Checkpoints.VerifyAsync(read, key.PublicKeyPem, Ct)).IsValid);
    }

    [Fact]
    public async Task A_signing_key_from_configuration_pem_signs_checkpoints_its_public_key_verifies()
    {
        var (tenant, _) = await TenantAsync(2);
        string privatePem, publicPem;
        using (var generated = CheckpointSigningKey.Generate())
        {
            privatePem = generated.ExportPrivateKeyPem();
            publicPem = generated.PublicKeyPem;
        }

        using var fromConfiguration = CheckpointSigningKey.FromPem(privatePem);
        var checkpoint = await Checkpoints.CreateAsync(tenant, fromConfiguration, Ct);

        Assert.True((await Checkpoints.VerifyAsync(checkpoint, publicPem, Ct)).IsValid);
        using var publicOnly = CheckpointSigningKey.FromPem(publicPem);
        Assert.False(publicOnly.HasPrivateKey);
        Assert.Equal(fromConfiguration.KeyId, publicOnly.KeyId);
    }

    [Fact]
    public async Task A_checkpoint_still_verifies_after_further_appends_and_new_streams()
    {
        var (tenant, streams) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);

        await Store.AppendToStreamAsync(streams[0], "thing", ExpectedVersion.Exactly(2), TestEvents.Notes(streams[0].Id, 3), Ct);
        await StreamWithNotesAsync(4, tenant);

        var verification = await Checkpoints.VerifyAsync(checkpoint, key.PublicKeyPem, Ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Discrepancies.Concat<object>(verification.Chain.Findings)));
    }

    [Fact]
    public async Task Editing_an_event_covered_by_a_checkpoint_fails_its_verification_and_names_the_stream()
    {
        var (tenant, streams) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        await TamperAsync(streams[1], $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 2");

        var verification = await Checkpoints.VerifyAsync(checkpoint, key.PublicKeyPem, Ct);

        Assert.False(verification.IsValid);
        Assert.True(verification.SignatureValid);
        var finding = Assert.Single(verification.Chain.Findings);
        Assert.Equal((streams[1], 2L, TamperKind.EditedEvent), (finding.Stream, finding.Version, finding.Kind));
    }

    [Fact]
    public async Task A_checkpoint_verified_with_one_of_its_streams_as_the_scope_reports_that_stream_and_judges_by_the_whole_tenant()
    {
        var (tenant, streams) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        await TamperAsync(streams[1], $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 2");

        var verification = await Checkpoints.VerifyAsync(checkpoint, AuditScope.OfStream(streams[0]), key.PublicKeyPem, cancellationToken: Ct);

        Assert.Equal(($"stream {tenant}/{streams[0].Id}", 1L, 2L, true), (verification.ScopeChain.Scope, verification.ScopeChain.StreamsChecked, verification.ScopeChain.EventsChecked, verification.ScopeChain.IsIntact));
        Assert.Equal(($"tenant {tenant}", 3L, 2L + 3 + 4), (verification.Chain.Scope, verification.Chain.StreamsChecked, verification.Chain.EventsChecked));
        Assert.Equal(streams[1], Assert.Single(verification.Chain.Findings).Stream);
        Assert.False(verification.IsValid);
    }

    [Fact]
    public async Task A_checkpoint_verified_with_the_store_as_the_scope_reports_every_tenant_and_judges_by_its_own()
    {
        var (tenant, _) = await TenantAsync(2);
        var other = await StreamWithNotesAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        await TamperAsync(other, $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 2");

        var verification = await Checkpoints.VerifyAsync(checkpoint, AuditScope.Store, key.PublicKeyPem, cancellationToken: Ct);

        Assert.Equal("store", verification.ScopeChain.Scope);
        Assert.Contains(verification.ScopeChain.Findings, f => f.Stream == other);
        Assert.Equal(($"tenant {tenant}", 2L, 2L + 3, true), (verification.Chain.Scope, verification.Chain.StreamsChecked, verification.Chain.EventsChecked, verification.Chain.IsIntact));
        Assert.True(verification.IsValid);
    }

    [Fact]
    public async Task A_checkpoint_is_not_verified_with_another_tenant_as_the_scope()
    {
        var (tenant, _) = await TenantAsync(1);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => Checkpoints.VerifyAsync(checkpoint, AuditScope.OfTenant(NewTenant()), cancellationToken: Ct));
    }

    [Fact]
    public async Task Rewriting_a_stream_with_a_recomputed_chain_passes_chain_verification_but_not_the_checkpoint()
    {
        var (tenant, streams) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        var victim = streams[2];
        await TamperAsync(victim, $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 1");
        // The insider recomputes every hash after the edit and the head: the chain alone verifies again.
        var previous = AuditHash.Zero;
        for (var version = 1L; version <= 4; version++)
        {
            previous = (await CanonicalAsync(victim, version)).ComputeHash(previous);
            await TamperAsync(victim, $"UPDATE eventcase.events SET hash = $3 WHERE {Row} AND stream_version = $4", previous.ToArray(), version);
        }

        await TamperAsync(victim, $"UPDATE eventcase.streams SET head_hash = $3 WHERE {Row}", previous.ToArray());
        Assert.True((await VerifyAsync(victim)).IsIntact);

        var verification = await Checkpoints.VerifyAsync(checkpoint, key.PublicKeyPem, Ct);

        Assert.False(verification.IsValid);
        var discrepancy = Assert.Single(verification.Discrepancies);
        Assert.Equal((victim, 4L, CheckpointDiscrepancyKind.HeadAltered), (discrepancy.Stream, discrepancy.Version, discrepancy.Kind));
    }

    [Fact]
    public async Task Deleting_a_checkpointed_event_or_stream_row_is_reported_against_the_checkpoint()
    {
        var (tenant, streams) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        await TamperAsync(streams[0], $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 2");
        await TamperAsync(streams[0], $"UPDATE eventcase.streams SET version = 1, head_hash = (SELECT hash FROM eventcase.events WHERE {Row} AND stream_version = 1) WHERE {Row}");
        await TamperAsync(streams[1], $"DELETE FROM eventcase.streams WHERE {Row}");

        var verification = await Checkpoints.VerifyAsync(checkpoint, key.PublicKeyPem, Ct);

        Assert.False(verification.IsValid);
        Assert.Equal(
            new[] { (streams[0], CheckpointDiscrepancyKind.EventMissing), (streams[1], CheckpointDiscrepancyKind.StreamMissing) }
                .OrderBy(d => d.Item1.Id, StringComparer.Ordinal),
            verification.Discrepancies.Select(d => (d.Stream, d.Kind)).OrderBy(d => d.Stream.Id, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Truncating_a_tail_or_deleting_a_whole_stream_passes_the_chain_but_not_a_checkpoint_that_covered_it()
    {
        var (tenant, streams) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);
        await TamperAsync(streams[2], $"DELETE FROM eventcase.events WHERE {Row} AND stream_version > 2");
        await TamperAsync(streams[2], $"UPDATE eventcase.streams SET version = 2, head_hash = (SELECT hash FROM eventcase.events WHERE {Row} AND stream_version = 2) WHERE {Row}");
        await TamperAsync(streams[1], $"DELETE FROM eventcase.events WHERE {Row}");
        await TamperAsync(streams[1], $"DELETE FROM eventcase.streams WHERE {Row}");

        var chain = await new AuditVerifier(Store).VerifyTenantAsync(tenant, cancellationToken: Ct);
        var verification = await Checkpoints.VerifyAsync(checkpoint, key.PublicKeyPem, Ct);

        Assert.True(chain.IsIntact, "the chain alone cannot see these (docs/audit.md says so)");
        Assert.False(verification.IsValid);
        Assert.Equal(
            new[] { (streams[1], CheckpointDiscrepancyKind.StreamMissing), (streams[2], CheckpointDiscrepancyKind.EventMissing) }
                .OrderBy(d => d.Item1.Id, StringComparer.Ordinal),
            verification.Discrepancies.Select(d => (d.Stream, d.Kind)).OrderBy(d => d.Stream.Id, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_checkpoint_whose_content_or_signature_was_altered_does_not_verify()
    {
        var (tenant, _) = await TenantAsync(3);
        using var key = CheckpointSigningKey.Generate();
        using var otherKey = CheckpointSigningKey.Generate();
        var checkpoint = await Checkpoints.CreateAsync(tenant, key, Ct);

        var fewerEvents = checkpoint with { EventCount = checkpoint.EventCount - 1 };
        var otherHead = checkpoint with { Heads = [checkpoint.Heads[0] with { Version = 1 }, .. checkpoint.Heads.Skip(1)] };
        var forgedSignature = checkpoint with { Signature = [.. checkpoint.Signature.Select((b, i) => i == 0 ? (byte)(b ^ 1) : b)] };

        Assert.False((await Checkpoints.VerifyAsync(fewerEvents, key.PublicKeyPem, Ct)).SignatureValid);
        Assert.False((await Checkpoints.VerifyAsync(otherHead, key.PublicKeyPem, Ct)).RootMatches);
        Assert.False((await Checkpoints.VerifyAsync(forgedSignature, key.PublicKeyPem, Ct)).SignatureValid);
        var wrongKey = await Checkpoints.VerifyAsync(checkpoint, otherKey.PublicKeyPem, Ct);
        Assert.False(wrongKey.SignatureValid);
        Assert.False(wrongKey.IsValid);
        var unpinned = await Checkpoints.VerifyAsync(checkpoint, cancellationToken: Ct);
        Assert.True(unpinned.IsValid);
        Assert.False(unpinned.SignedByTrustedKey);
    }

    [Theory]
    [InlineData("\"tenant\": \"", "\"tenant\": null, \"x\": \"")]
    [InlineData("\"streamId\": \"", "\"streamId\": null, \"x\": \"")]
    [InlineData("\"headHash\": \"", "\"headHash\": 7, \"x\": \"")]
    [InlineData("\"signature\": \"", "\"signature\": null, \"x\": \"")]
    [InlineData("\"heads\": [", "\"heads\": [,")]
    public async Task A_checkpoint_file_with_a_null_or_mistyped_member_or_that_is_not_json_is_a_format_error(string member, string replacement)
    {
        var (tenant, _) = await TenantAsync(2);
        using var key = CheckpointSigningKey.Generate();
        using var file = new MemoryStream();
        await (await Checkpoints.CreateAsync(tenant, key, Ct)).WriteJsonAsync(file, Ct);
        var json = Encoding.UTF8.GetString(file.ToArray());
        var at = json.IndexOf(member, StringComparison.Ordinal);
        Assert.True(at >= 0, json);

        var altered = json[..at] + replacement + json[(at + member.Length)..];

        await Assert.ThrowsAsync<FormatException>(() => AuditCheckpoint.ReadJsonAsync(new MemoryStream(Encoding.UTF8.GetBytes(altered)), Ct));
    }

    [Theory]
    [InlineData("\"signature\": \"", "\"signature\": \"!!", "\"signature\" is not base64")]
    [InlineData("\"signature\": \"", "\"signatur\": \"", "it has no \"signature\"")]
    [InlineData("\"merkleRoot\": \"", "\"merkleRoot\": \"zz", "\"merkleRoot\" is not an audit hash (64 hex digits)")]
    [InlineData("\"headHash\": \"", "\"headHash\": \"0", "heads[0]: \"headHash\" is not an audit hash (64 hex digits)")]
    [InlineData("\"version\": ", "\"version\": 1.5, \"x\": ", "heads[0]: \"version\" is not a whole number")]
    [InlineData("\"streamCount\": ", "\"streamCount\": \"2\", \"x\": ", "\"streamCount\" is not a whole number")]
    [InlineData("\"createdAt\": \"", "\"createdAt\": \"yesterday", "\"createdAt\" is not an instant")]
    [InlineData("\"heads\": [", "\"heads\": 7, \"x\": [", "\"heads\" is not an array")]
    public async Task A_checkpoint_file_with_a_member_missing_or_garbled_is_a_format_error_naming_the_member(string member, string replacement, string expected)
    {
        var (tenant, _) = await TenantAsync(2);
        using var key = CheckpointSigningKey.Generate();
        using var file = new MemoryStream();
        await (await Checkpoints.CreateAsync(tenant, key, Ct)).WriteJsonAsync(file, Ct);
        var json = Encoding.UTF8.GetString(file.ToArray());
        var at = json.IndexOf(member, StringComparison.Ordinal);
        Assert.True(at >= 0, json);

        var altered = json[..at] + replacement + json[(at + member.Length)..];
        var error = await Assert.ThrowsAsync<FormatException>(() => AuditCheckpoint.ReadJsonAsync(new MemoryStream(Encoding.UTF8.GetBytes(altered)), Ct));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_checkpoint_is_signed_over_a_broken_chain()
    {
        var (tenant, streams) = await TenantAsync(2);
        await TamperAsync(streams[0], $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 1");
        using var key = CheckpointSigningKey.Generate();

        var error = await Assert.ThrowsAsync<AuditChainBrokenException>(() => Checkpoints.CreateAsync(tenant, key, Ct));

        Assert.Equal(1, error.Report.BrokenStreams);
    }
}

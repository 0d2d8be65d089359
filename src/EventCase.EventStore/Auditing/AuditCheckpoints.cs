using System.Data;
using NodaTime;
using Npgsql;

namespace EventCase.EventStore.Auditing;

/// <summary>What a checkpoint found changed in the store.</summary>
public enum CheckpointDiscrepancyKind
{
    /// <summary>A stream of the checkpoint has no stream row any more.</summary>
    StreamMissing,

    /// <summary>A stream of the checkpoint has no event at the checkpoint's version any more.</summary>
    EventMissing,

    /// <summary>The event at the checkpoint's version has another hash: it, or an event before it, was rewritten
    /// (with the chain recomputed to hide it).</summary>
    HeadAltered,
}

/// <summary>A stream of a checkpoint that the store no longer matches.</summary>
/// <param name="Stream">The stream.</param>
/// <param name="Version">Its version in the checkpoint.</param>
/// <param name="Kind">What changed.</param>
/// <param name="Detail">A sentence for the auditor.</param>
public sealed record CheckpointDiscrepancy(StreamName Stream, long Version, CheckpointDiscrepancyKind Kind, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"{Stream.Tenant}/{Stream.Id} v{Version}: {Kind}: {Detail}";
}

/// <summary>The verdict on a store against an earlier checkpoint.</summary>
/// <param name="Checkpoint">The checkpoint.</param>
/// <param name="SignatureValid">The signature verifies with the checkpoint's key (or the trusted key, when given).</param>
/// <param name="SignedByTrustedKey">A trusted public key was given and the checkpoint was signed with it. False when
/// none was given: then the signature only proves the checkpoint is unchanged since whoever holds its embedded key
/// signed it.</param>
/// <param name="RootMatches">The heads listed in the checkpoint, in order, give its signed root, stream count and
/// event count.</param>
/// <param name="Discrepancies">Streams of the checkpoint whose head at the checkpoint's version is gone or different.</param>
/// <param name="Chain">The verification of the tenant's chains as they are now (every event up to every head,
/// including appends made since the checkpoint).</param>
public sealed record CheckpointVerification(
    AuditCheckpoint Checkpoint,
    bool SignatureValid,
    bool SignedByTrustedKey,
    bool RootMatches,
    IReadOnlyList<CheckpointDiscrepancy> Discrepancies,
    AuditReport Chain)
{
    private readonly AuditReport? _scopeChain;

    /// <summary>
    /// The verification of the scope asked for (<see cref="AuditCheckpoints.VerifyAsync(AuditCheckpoint, AuditScope, string?, IProgress{AuditProgress}?, CancellationToken)"/>):
    /// the whole store, or one stream of the checkpoint's tenant, read in the same pass and snapshot as
    /// <see cref="Chain"/>; <see cref="Chain"/> itself when the scope is the checkpoint's tenant.
    /// </summary>
    public AuditReport ScopeChain
    {
        get => _scopeChain ?? Chain;
        init => _scopeChain = value;
    }

    /// <summary>
    /// True when nothing the checkpoint covers was altered: it is authentic, every stream still holds its checkpointed
    /// head at its checkpointed version, and every chain verifies (so each head still covers every event before it,
    /// and appends since only extend the chains).
    /// </summary>
    public bool IsValid => SignatureValid && RootMatches && Discrepancies.Count == 0 && Chain.IsIntact;
}

/// <summary>
/// Takes signed checkpoints of a tenant's stream heads, and verifies a store against an earlier one. Thread safe.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="clock">Stamps checkpoints.</param>
public sealed class AuditCheckpoints(PostgresEventStore store, IClock clock)
{
    private const int LookupBatch = 10_000;

    private readonly PostgresEventStore _store = store ?? throw new ArgumentNullException(nameof(store));
    private readonly IClock _clock = clock ?? throw new ArgumentNullException(nameof(clock));

    /// <summary>
    /// A checkpoint of every stream head of <paramref name="tenant"/>, as of one snapshot, signed with
    /// <paramref name="key"/>. Refuses (rather than sign a lie) when the tenant's chains do not verify first.
    /// </summary>
    /// <exception cref="AuditChainBrokenException">The tenant's chains are broken now.</exception>
    public async Task<AuditCheckpoint> CreateAsync(string tenant, CheckpointSigningKey key, CancellationToken cancellationToken = default)
    {
        StreamName.ValidateTenant(tenant);
        ArgumentNullException.ThrowIfNull(key);
        var chain = await new AuditVerifier(_store).VerifyTenantAsync(tenant, cancellationToken: cancellationToken);
        if (!chain.IsIntact)
        {
            throw new AuditChainBrokenException(chain);
        }

        var heads = new List<CheckpointHead>();
        var tree = new MerkleTree();
        long events = 0;
        await using (var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken))
        await using (var command = new NpgsqlCommand(
            // COLLATE "C": byte order of the UTF-8 ids, the Merkle tree's leaf order, whatever the database's locale.
            $"SELECT stream_id, version, head_hash FROM {_store.Options.Schema}.streams WHERE tenant_id = $1 ORDER BY stream_id COLLATE \"C\"",
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var head = new CheckpointHead(
                    reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? AuditHash.Zero : AuditHash.FromBytes(reader.GetFieldValue<byte[]>(2)));
                heads.Add(head);
                tree.Add(MerkleTree.Leaf(head.StreamId, head.Head, head.Version));
                events += head.Version;
            }
        }

        var createdAt = Instant.FromUnixTimeTicks(_clock.GetCurrentInstant().ToUnixTimeTicks() / 10 * 10);
        var root = tree.Root();
        var signature = key.Sign(AuditCheckpoint.SignedBytes(tenant, createdAt, heads.Count, events, root));
        return new AuditCheckpoint(
            tenant, createdAt, heads.Count, events, root, CheckpointSigningKey.Algorithm, key.KeyId, key.PublicKeyPem, signature, heads);
    }

    /// <summary>
    /// Verifies the store against <paramref name="checkpoint"/>: the checkpoint is authentic (signature, and its heads
    /// give its root), every stream in it still has that head at that version, and every chain of the tenant verifies.
    /// Appends made since the checkpoint are fine; alterations of anything it covers are reported.
    /// </summary>
    /// <param name="checkpoint">An earlier checkpoint.</param>
    /// <param name="trustedPublicKeyPem">The public key the auditor trusts (published by the agency). Without it, the
    /// checkpoint's own embedded key is used, which proves integrity but not who signed.</param>
    /// <param name="cancellationToken">Cancels the verification.</param>
    public Task<CheckpointVerification> VerifyAsync(
        AuditCheckpoint checkpoint, string? trustedPublicKeyPem = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        StreamName.ValidateTenant(checkpoint.Tenant);
        return VerifyAsync(checkpoint, AuditScope.OfTenant(checkpoint.Tenant), trustedPublicKeyPem, null, cancellationToken);
    }

    /// <summary>
    /// Verifies the store against <paramref name="checkpoint"/> as
    /// <see cref="VerifyAsync(AuditCheckpoint, string?, CancellationToken)"/> does, and the chains of
    /// <paramref name="scope"/> with it (<see cref="CheckpointVerification.ScopeChain"/>), reading each event once: the
    /// checkpoint's tenant when the scope is the tenant or one of its streams, the store when it is the store. The
    /// heads and the chains are checked in one snapshot.
    /// </summary>
    /// <param name="checkpoint">An earlier checkpoint.</param>
    /// <param name="scope">The store, the checkpoint's tenant, or one stream of it.</param>
    /// <param name="trustedPublicKeyPem">The public key the auditor trusts; see the other overload.</param>
    /// <param name="progress">Follows the chain check over all it reads (the scope's events, or the tenant's when the
    /// scope is one stream).</param>
    /// <param name="cancellationToken">Cancels the verification.</param>
    /// <exception cref="ArgumentException"><paramref name="scope"/> is of another tenant.</exception>
    public async Task<CheckpointVerification> VerifyAsync(
        AuditCheckpoint checkpoint,
        AuditScope scope,
        string? trustedPublicKeyPem = null,
        IProgress<AuditProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(scope);
        var tenant = AuditScope.OfTenant(checkpoint.Tenant);
        if (!scope.Covers(tenant) && !tenant.Covers(scope))
        {
            throw new ArgumentException($"the {scope} is not the store, the checkpoint's tenant {checkpoint.Tenant} or a stream of it.", nameof(scope));
        }

        var (signatureValid, trusted) = CheckSignature(checkpoint, trustedPublicKeyPem);
        var rootMatches = CheckRoot(checkpoint);
        var discrepancies = new List<CheckpointDiscrepancy>();
        IReadOnlyList<AuditReport> chains;
        await using (var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await AuditVerifier.BeginSnapshotAsync(connection, cancellationToken))
        {
            for (var start = 0; start < checkpoint.Heads.Count; start += LookupBatch)
            {
                var batch = checkpoint.Heads.Skip(start).Take(LookupBatch).ToArray();
                await CompareHeadsAsync(connection, transaction, checkpoint.Tenant, batch, discrepancies, cancellationToken);
            }

            // The tenant's chains and the scope's in one read of whichever holds the other, not one read each.
            var read = scope.Covers(tenant) ? scope : tenant;
            chains = await new AuditVerifier(_store).VerifyAsync(
                connection, transaction, read, scope == tenant ? [tenant] : [tenant, scope], progress, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return new CheckpointVerification(checkpoint, signatureValid, trusted, rootMatches, discrepancies, chains[0]) { ScopeChain = chains[^1] };
    }

    private static (bool Valid, bool Trusted) CheckSignature(AuditCheckpoint checkpoint, string? trustedPublicKeyPem)
    {
        if (!string.Equals(checkpoint.Algorithm, CheckpointSigningKey.Algorithm, StringComparison.Ordinal))
        {
            return (false, false);
        }

        try
        {
            using var key = CheckpointSigningKey.FromPem(trustedPublicKeyPem ?? checkpoint.PublicKeyPem);
            var valid = string.Equals(key.KeyId, checkpoint.KeyId, StringComparison.Ordinal) &&
                        key.Verify(checkpoint.SignedBytes(), checkpoint.Signature);
            return (valid, valid && trustedPublicKeyPem is not null);
        }
        catch (ArgumentException)
        {
            return (false, false);
        }
    }

    private static bool CheckRoot(AuditCheckpoint checkpoint)
    {
        var tree = new MerkleTree();
        long events = 0;
        string? previous = null;
        foreach (var head in checkpoint.Heads)
        {
            // Out of order or repeated ids would let one list of heads stand for another.
            if (previous is not null && MerkleTree.CompareStreamIds(previous, head.StreamId) >= 0)
            {
                return false;
            }

            tree.Add(MerkleTree.Leaf(head.StreamId, head.Head, head.Version));
            events += head.Version;
            previous = head.StreamId;
        }

        return tree.Root() == checkpoint.MerkleRoot && tree.Count == checkpoint.StreamCount && events == checkpoint.EventCount;
    }

    private async Task CompareHeadsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string tenant,
        CheckpointHead[] heads,
        List<CheckpointDiscrepancy> discrepancies,
        CancellationToken cancellationToken)
    {
        var schema = _store.Options.Schema;
        await using var command = new NpgsqlCommand(
            $"""
             SELECT c.ord, s.stream_id IS NOT NULL, e.hash
               FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS c(stream_id, version, ord)
               LEFT JOIN {schema}.streams s ON s.tenant_id = $1 AND s.stream_id = c.stream_id
               LEFT JOIN {schema}.events e ON e.tenant_id = $1 AND e.stream_id = c.stream_id AND e.stream_version = c.version
              ORDER BY c.ord
             """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = heads.Select(h => h.StreamId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = heads.Select(h => h.Version).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var head = heads[reader.GetInt64(0) - 1];
            var stream = new StreamName(tenant, head.StreamId);
            if (!reader.GetBoolean(1))
            {
                discrepancies.Add(new(stream, head.Version, CheckpointDiscrepancyKind.StreamMissing, "the stream row is gone"));
            }
            else if (reader.IsDBNull(2))
            {
                discrepancies.Add(new(stream, head.Version, CheckpointDiscrepancyKind.EventMissing, $"no event at the checkpointed version {head.Version}"));
            }
            else if (reader.GetFieldValue<byte[]>(2) is var stored && (stored.Length != AuditHash.Length || AuditHash.FromBytes(stored) != head.Head))
            {
                discrepancies.Add(new(
                    stream,
                    head.Version,
                    CheckpointDiscrepancyKind.HeadAltered,
                    $"version {head.Version} has hash {Convert.ToHexStringLower(stored)}, the checkpoint says {head.Head}: it or an earlier event was rewritten"));
            }
        }
    }
}

/// <summary>Refusal to sign a checkpoint over chains that do not verify.</summary>
public sealed class AuditChainBrokenException(AuditReport report)
    : InvalidOperationException($"{report.Scope}: {report.BrokenStreams} stream(s) have a broken hash chain; no checkpoint was signed. First: {report.Findings.FirstOrDefault()}")
{
    /// <summary>The verification that failed.</summary>
    public AuditReport Report { get; } = report;
}

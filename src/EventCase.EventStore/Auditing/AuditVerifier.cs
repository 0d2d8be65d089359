using System.Data;
using System.Diagnostics;
using System.Text;
using Npgsql;

namespace EventCase.EventStore.Auditing;

/// <summary>
/// Verifies the audit hash chain of one stream, one tenant or the whole store: recomputes every event's hash from the
/// row as stored, checks that each chains from the one before and that each stream row's head is its last event, and
/// reports the first break of every broken stream with its most likely cause (<see cref="TamperKind"/>).
/// </summary>
/// <remarks>
/// The store is read in one repeatable-read, read-only transaction (a consistent snapshot: appends running meanwhile
/// are neither half-seen nor reported), in batches ordered by (tenant, stream, version) with keyset paging, so memory
/// stays constant however large the store. Thread safe: each call uses its own connection.
/// </remarks>
public sealed class AuditVerifier
{
    private readonly PostgresEventStore _store;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly int _batchSize;
    private readonly int _maxFindings;

    /// <summary>A verifier of <paramref name="store"/>'s chain.</summary>
    /// <param name="store">The store (its data source and schema are used).</param>
    /// <param name="batchSize">Events per batch (default 50,000).</param>
    /// <param name="maxFindings">The most findings a report lists (default 10,000); further broken streams are only counted.</param>
    public AuditVerifier(PostgresEventStore store, int batchSize = 50_000, int maxFindings = 10_000)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFindings, 0);
        _store = store;
        _dataSource = store.DataSource;
        _schema = store.Options.Schema;
        _batchSize = batchSize;
        _maxFindings = maxFindings;
    }

    /// <summary>Verifies one stream.</summary>
    public Task<AuditReport> VerifyStreamAsync(StreamName stream, IProgress<AuditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        VerifyAsync(AuditScope.OfStream(stream), progress, cancellationToken);

    /// <summary>
    /// Verifies one stream and reads its stream row in the same snapshot, so the head returned is the one the chain was
    /// verified against (an append committed meanwhile is in neither).
    /// </summary>
    public async Task<StreamVerification> VerifyStreamAndHeadAsync(StreamName stream, CancellationToken cancellationToken = default)
    {
        var scope = AuditScope.OfStream(stream);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginSnapshotAsync(connection, cancellationToken);
        var reports = await VerifyAsync(connection, transaction, scope, [scope], null, cancellationToken);
        var heads = new Dictionary<(string, string), StreamHead>();
        await LoadHeadsAsync(connection, transaction, stream.Tenant, stream.Id, null, null, heads, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return heads.TryGetValue((stream.Tenant, stream.Id), out var head)
            ? new StreamVerification(reports[0], head.Version, head.Hash)
            : new StreamVerification(reports[0], null, null);
    }

    /// <summary>
    /// Reads every event of <paramref name="stream"/>, as <see cref="PostgresEventStore.ReadStreamAsync"/> does, and
    /// verifies its chain and head over the rows read: one statement (one snapshot) gives the stream row and the events,
    /// and each event is hashed from the bytes that are then deserialized, so the verdict is about exactly the events
    /// returned, at the cost of hashing them (about a microsecond an event), not of reading them again. For the
    /// readers that show a history (a case's history, its time travel, a replay): what they show carries its verdict.
    /// </summary>
    /// <exception cref="AlteredEventUnreadableException">An event no longer reads as its type, and the chain shows the
    /// stream was altered after it was written.</exception>
    /// <exception cref="UnknownEventTypeException">An event's type is neither registered nor upcastable, and the chain
    /// is intact: it was stored like this (as for the other exceptions a read of an unreadable event throws).</exception>
    public async Task<VerifiedStream> ReadStreamAsync(StreamName stream, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        var started = Stopwatch.GetTimestamp();
        var raw = new List<PostgresEventStore.RawEvent>();
        var walker = new ChainWalker(new CanonicalEncoder());
        StreamHead? head = null;
        var hashBuffer = new byte[64];
        Exception? unreadable = null;
        var unreadableAt = -1;
        // One statement, so one snapshot: the stream row is the one the events were written up to. The connection goes
        // back to the pool before the events are deserialized.
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
        await using (var command = new NpgsqlCommand(
            $"""
             SELECT 0, NULL::bigint, NULL::xid8, NULL::uuid, NULL::text, NULL::jsonb, NULL::jsonb, version, NULL::timestamptz, head_hash
               FROM {_schema}.streams WHERE tenant_id = $1 AND stream_id = $2
             UNION ALL
             SELECT * FROM (
                 SELECT 1, position, transaction_id, event_id, event_type, data, metadata, stream_version, recorded_at, hash
                   FROM {_schema}.events WHERE tenant_id = $1 AND stream_id = $2
                  ORDER BY stream_version) e
             """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
            // A fixed text read on every history and time travel, prepared as the store's own stream reads are (decision 0007).
            if (_store.Options.PrepareStatements)
            {
                await command.PrepareAsync(cancellationToken);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            // The hashes are checked once the stream row is known, which the statement gives first but SQL does not promise.
            var recordedAtMicros = new List<long>();
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetInt32(0) == 0)
                {
                    head = new StreamHead(reader.GetInt64(7), ReadHash(reader, 9, hashBuffer));
                    continue;
                }

                var micros = CanonicalEvent.ReadMicroseconds(reader, 8);
                var recordedAt = ToDateTime(micros);
                if (recordedAt is null && unreadable is null)
                {
                    // Only SQL can store a recorded-at that .NET cannot hold (outside the years 1–9999, ±infinity).
                    unreadable = new InvalidCastException("its recorded-at lies outside the years 1–9999");
                    unreadableAt = raw.Count;
                }

                recordedAtMicros.Add(micros);
                raw.Add(new PostgresEventStore.RawEvent(
                    reader.GetInt64(1), reader.GetFieldValue<ulong>(2), stream.Tenant, stream.Id, reader.GetInt64(7), reader.GetGuid(3),
                    reader.GetString(4), reader.GetFieldValue<byte[]>(5), reader.GetFieldValue<byte[]>(6), recordedAt ?? DateTime.MinValue,
                    reader.IsDBNull(9) ? null : reader.GetFieldValue<byte[]>(9)));
            }

            walker.Begin(stream, headKnown: true, head);
            for (var i = 0; i < raw.Count; i++)
            {
                var row = raw[i];
                // A stored value that is not 32 bytes long cannot be any event's hash; its SHA-256 stands in for it, as
                // the verification of the store reads it.
                var hash = row.Hash is not { } bytes ? (AuditHash?)null
                    : bytes.Length == AuditHash.Length ? AuditHash.FromBytes(bytes) : AuditHash.Compute(bytes);
                walker.Accept(row.StreamVersion, row.EventId, row.StoredType, recordedAtMicros[i], row.Data, row.Metadata, hash);
            }
        }

        // A stream with neither events nor a stream row is not there to verify (as VerifyStreamAsync counts it).
        var finding = raw.Count == 0 && head is null ? null : walker.End();
        var events = new List<RecordedEvent>(raw.Count);
        for (var i = 0; i < raw.Count && unreadable is null; i++)
        {
            try
            {
                events.Add(_store.Materialize(raw[i]));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or UnknownEventTypeException or NotSupportedException)
            {
                unreadable = e;
                unreadableAt = i;
            }
        }

        if (unreadable is not null)
        {
            if (finding is null)
            {
                // Stored like this, chain intact: not tampering but an event this build cannot read (a bug, a missing
                // upcaster), failed as any read of it fails.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(unreadable).Throw();
            }

            var row = raw[unreadableAt];
            throw new AlteredEventUnreadableException(stream, row.StreamVersion, row.StoredType, row.Position, finding, unreadable);
        }

        var report = new AuditReport(
            AuditScope.OfStream(stream).ToString(),
            raw.Count > 0 || head is not null ? 1 : 0,
            raw.Count,
            finding is null ? 0 : 1,
            finding is null ? [] : [finding],
            Stopwatch.GetElapsedTime(started));
        return new VerifiedStream(events, new StreamVerification(report, head?.Version, head?.Hash));

        static DateTime? ToDateTime(long micros) =>
            micros >= MinDateTimeMicros && micros <= MaxDateTimeMicros ? DateTime.UnixEpoch.AddTicks(micros * 10) : null;
    }

    private static readonly long MinDateTimeMicros = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    private static readonly long MaxDateTimeMicros = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>Verifies every stream of <paramref name="tenant"/>.</summary>
    public Task<AuditReport> VerifyTenantAsync(string tenant, IProgress<AuditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        VerifyAsync(AuditScope.OfTenant(tenant), progress, cancellationToken);

    /// <summary>Verifies every stream of every tenant.</summary>
    public Task<AuditReport> VerifyAllAsync(IProgress<AuditProgress>? progress = null, CancellationToken cancellationToken = default) =>
        VerifyAsync(AuditScope.Store, progress, cancellationToken);

    /// <summary>Verifies every stream of <paramref name="scope"/>.</summary>
    public async Task<AuditReport> VerifyAsync(AuditScope scope, IProgress<AuditProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginSnapshotAsync(connection, cancellationToken);
        var reports = await VerifyAsync(connection, transaction, scope, [scope], progress, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return reports[0];
    }

    /// <summary>
    /// A repeatable-read, read-only transaction: one consistent snapshot, so appends running meanwhile are neither
    /// half-seen nor reported.
    /// </summary>
    internal static async Task<NpgsqlTransaction> BeginSnapshotAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        try
        {
            await using var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction);
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Reads every event and stream row of <paramref name="read"/> once, in <paramref name="transaction"/>, checks
    /// each stream's chain, and reports it in each of <paramref name="views"/> that covers it: one report per view, in
    /// order (each view must lie within <paramref name="read"/>). So one pass over a tenant gives the report of the
    /// tenant and of one of its streams, and one over the store that of the store and of one tenant.
    /// <paramref name="progress"/> follows the whole read.
    /// </summary>
    internal async Task<IReadOnlyList<AuditReport>> VerifyAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        AuditScope read,
        IReadOnlyList<AuditScope> views,
        IProgress<AuditProgress>? progress,
        CancellationToken cancellationToken)
    {
        if (views.FirstOrDefault(v => !read.Covers(v)) is { } outside)
        {
            throw new ArgumentException($"the {outside} does not lie within the {read} that is read.", nameof(views));
        }

        var started = Stopwatch.GetTimestamp();
        var tallies = views.Select(_ => new Tally()).ToArray();
        var walker = new ChainWalker(new CanonicalEncoder());
        long events = 0, streams = 0, broken = 0;
        var hashBuffer = new byte[64];
        var tenant = read.Tenant;
        var streamId = read.StreamId;

        var heads = new Dictionary<(string Tenant, string Stream), StreamHead>();
        EventKey? lower = null;
        StreamName? open = null;
        Tally[] openTallies = [];
        while (true)
        {
            var upper = await ProbeUpperAsync(connection, transaction, tenant, streamId, lower, cancellationToken);
            await LoadHeadsAsync(connection, transaction, tenant, streamId, lower, upper, heads, cancellationToken);

            await using (var command = EventsCommand(connection, transaction, tenant, streamId, lower, upper))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var rowTenant = reader.GetString(0);
                    var rowStream = reader.GetString(1);
                    if (open is not { } current || !string.Equals(current.Id, rowStream, StringComparison.Ordinal) ||
                        !string.Equals(current.Tenant, rowTenant, StringComparison.Ordinal))
                    {
                        if (open is { } finished)
                        {
                            Record(finished, walker.End());
                        }

                        var name = new StreamName(rowTenant, rowStream);
                        var found = heads.Remove((rowTenant, rowStream), out var head);
                        walker.Begin(name, headKnown: true, found ? head : null);
                        open = name;
                        openTallies = TalliesOf(name);
                    }

                    walker.Accept(
                        reader.GetInt64(2),
                        reader.GetGuid(3),
                        reader.GetString(4),
                        CanonicalEvent.ReadMicroseconds(reader, 5),
                        reader.GetString(6),
                        reader.GetString(7),
                        ReadHash(reader, 8, hashBuffer));
                    events++;
                    foreach (var tally in openTallies)
                    {
                        tally.Events++;
                    }
                }
            }

            if (upper is null && open is { } last)
            {
                Record(last, walker.End());
                open = null;
            }

            // Stream rows in this batch's key range that no event row belongs to.
            foreach (var ((headTenant, headStream), head) in heads.OrderBy(h => h.Key.Tenant, StringComparer.Ordinal).ThenBy(h => h.Key.Stream, StringComparer.Ordinal))
            {
                var name = new StreamName(headTenant, headStream);
                walker.Begin(name, headKnown: true, head);
                Record(name, walker.End());
            }

            heads.Clear();
            progress?.Report(new AuditProgress(events, streams, broken));
            if (upper is null)
            {
                break;
            }

            lower = upper;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        return views.Select((view, i) => tallies[i].ToReport(view, elapsed)).ToArray();

        Tally[] TalliesOf(StreamName stream) =>
            tallies.Where((_, i) => views[i].Covers(stream.Tenant, stream.Id)).ToArray();

        void Record(StreamName stream, AuditFinding? finding)
        {
            streams++;
            if (finding is not null)
            {
                broken++;
            }

            foreach (var tally in TalliesOf(stream))
            {
                tally.Record(finding, _maxFindings);
            }
        }
    }

    /// <summary>What one view of a verification has counted and found so far.</summary>
    private sealed class Tally
    {
        private readonly List<AuditFinding> _findings = [];
        private long _streams, _broken;

        public long Events { get; set; }

        public void Record(AuditFinding? finding, int maxFindings)
        {
            _streams++;
            if (finding is null)
            {
                return;
            }

            _broken++;
            if (_findings.Count < maxFindings)
            {
                _findings.Add(finding);
            }
        }

        public AuditReport ToReport(AuditScope scope, TimeSpan elapsed)
        {
            _findings.Sort((a, b) =>
            {
                var byTenant = string.CompareOrdinal(a.Stream.Tenant, b.Stream.Tenant);
                return byTenant != 0 ? byTenant : string.CompareOrdinal(a.Stream.Id, b.Stream.Id);
            });
            return new AuditReport(scope.ToString(), _streams, Events, _broken, _findings, elapsed);
        }
    }

    private static AuditHash? ReadHash(NpgsqlDataReader reader, int ordinal, byte[] buffer)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var length = reader.GetBytes(ordinal, 0, buffer, 0, buffer.Length);
        // A stored value that is not 32 bytes long cannot be any event's hash; its SHA-256 stands in for it, which
        // matches nothing either.
        return length == AuditHash.Length ? AuditHash.FromBytes(buffer.AsSpan(0, AuditHash.Length)) : AuditHash.Compute(buffer.AsSpan(0, (int)length));
    }

    /// <summary>The key of the last event of the next batch, or null when the rest fits in one batch.</summary>
    private async Task<EventKey?> ProbeUpperAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string? tenant, string? streamId, EventKey? lower, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT tenant_id, stream_id, stream_version FROM ").Append(_schema).Append(".events WHERE true");
        await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        AppendScope(sql, command, tenant, streamId);
        AppendLower(sql, command, lower, includeVersion: true);
        sql.Append(" ORDER BY tenant_id, stream_id, stream_version OFFSET ").Append(_batchSize - 1).Append(" LIMIT 1");
        command.CommandText = sql.ToString();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new EventKey(reader.GetString(0), reader.GetString(1), reader.GetInt64(2))
            : null;
    }

    private async Task LoadHeadsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string? tenant,
        string? streamId,
        EventKey? lower,
        EventKey? upper,
        Dictionary<(string, string), StreamHead> heads,
        CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT tenant_id, stream_id, version, head_hash FROM ").Append(_schema).Append(".streams WHERE true");
        await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        AppendScope(sql, command, tenant, streamId);
        AppendLower(sql, command, lower, includeVersion: false);
        if (upper is { } u)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = u.Tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = u.Stream });
            sql.Append(" AND (tenant_id, stream_id) <= ($").Append(command.Parameters.Count - 1).Append(", $").Append(command.Parameters.Count).Append(')');
        }

        command.CommandText = sql.ToString();
        var hashBuffer = new byte[64];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            heads[(reader.GetString(0), reader.GetString(1))] = new StreamHead(reader.GetInt64(2), ReadHash(reader, 3, hashBuffer));
        }
    }

    private NpgsqlCommand EventsCommand(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string? tenant, string? streamId, EventKey? lower, EventKey? upper)
    {
        var sql = new StringBuilder(
                "SELECT tenant_id, stream_id, stream_version, event_id, event_type, recorded_at, data::text, metadata::text, hash FROM ")
            .Append(_schema).Append(".events WHERE true");
        var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        AppendScope(sql, command, tenant, streamId);
        AppendLower(sql, command, lower, includeVersion: true);
        if (upper is { } u)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = u.Tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = u.Stream });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = u.Version });
            var n = command.Parameters.Count;
            sql.Append(" AND (tenant_id, stream_id, stream_version) <= ($").Append(n - 2).Append(", $").Append(n - 1).Append(", $").Append(n).Append(')');
        }

        sql.Append(" ORDER BY tenant_id, stream_id, stream_version");
        command.CommandText = sql.ToString();
        return command;
    }

    private static void AppendScope(StringBuilder sql, NpgsqlCommand command, string? tenant, string? streamId)
    {
        if (tenant is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            sql.Append(" AND tenant_id = $").Append(command.Parameters.Count);
        }

        if (streamId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            sql.Append(" AND stream_id = $").Append(command.Parameters.Count);
        }
    }

    private static void AppendLower(StringBuilder sql, NpgsqlCommand command, EventKey? lower, bool includeVersion)
    {
        if (lower is not { } l)
        {
            return;
        }

        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = l.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = l.Stream });
        var n = command.Parameters.Count;
        if (includeVersion)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = l.Version });
            sql.Append(" AND (tenant_id, stream_id, stream_version) > ($").Append(n - 1).Append(", $").Append(n).Append(", $").Append(n + 1).Append(')');
        }
        else
        {
            sql.Append(" AND (tenant_id, stream_id) > ($").Append(n - 1).Append(", $").Append(n).Append(')');
        }
    }

    private readonly record struct EventKey(string Tenant, string Stream, long Version);
}

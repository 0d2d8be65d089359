using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Npgsql;

namespace EventCase.EventStore.Auditing;

/// <summary>The file formats of an audit export (docs/audit.md describes both).</summary>
public enum AuditExportFormat
{
    /// <summary>One JSON object per line; <c>data</c> and <c>metadata</c> are the stored JSON, verbatim.</summary>
    JsonLines,

    /// <summary>RFC 4180 CSV with a header row; <c>data</c> and <c>metadata</c> are the stored JSON text in quoted fields.</summary>
    Csv,
}

/// <summary>One event of an export: what its hash covers, its hash, and the hash it chains from.</summary>
/// <param name="Event">The hashed fields.</param>
/// <param name="Position">Its global position (informative; not hashed).</param>
/// <param name="PreviousHash">The hash of the event before it in its stream (zero for version 1), or null when that
/// event is missing from the store.</param>
/// <param name="Hash">Its stored hash, or null when it has none.</param>
public sealed record ExportedEvent(CanonicalEvent Event, long Position, AuditHash? PreviousHash, AuditHash? Hash);

/// <summary>How much an export wrote.</summary>
/// <param name="Events">Event lines.</param>
/// <param name="Streams">Distinct streams.</param>
public readonly record struct AuditExportSummary(long Events, long Streams);

/// <summary>
/// Writes a stream's full history, or every event of a tenant recorded in a period, as JSON Lines or CSV with each
/// event's hash and previous hash, so that an auditor can re-check the chain offline (<see cref="AuditExportReader"/>).
/// Streams: reads keyset-paged batches and writes as it reads, in constant memory. Thread safe.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="batchSize">Events per read (default 10,000).</param>
public sealed class AuditExporter(PostgresEventStore store, int batchSize = 10_000)
{
    /// <summary>The columns, in order (CSV header and JSON member names).</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["tenant", "streamId", "version", "position", "eventId", "eventType", "recordedAt", "data", "metadata", "previousHash", "hash"];

    internal static readonly InstantPattern Micros = InstantPattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'");

    private readonly PostgresEventStore _store = store ?? throw new ArgumentNullException(nameof(store));
    private readonly int _batchSize = batchSize > 0 ? batchSize : throw new ArgumentOutOfRangeException(nameof(batchSize));

    /// <summary>Writes every event of <paramref name="stream"/>, in version order.</summary>
    public Task<AuditExportSummary> ExportStreamAsync(
        StreamName stream, AuditExportFormat format, Stream destination, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        return ExportAsync(stream.Tenant, stream.Id, null, null, format, destination, cancellationToken);
    }

    /// <summary>
    /// Writes every event of <paramref name="tenant"/> recorded in [<paramref name="from"/>, <paramref name="to"/>),
    /// ordered by stream id and version. The first exported event of a stream carries the hash of the event before it,
    /// so each stream's part of the export can be checked on its own.
    /// </summary>
    public Task<AuditExportSummary> ExportTenantAsync(
        string tenant, Instant from, Instant to, AuditExportFormat format, Stream destination, CancellationToken cancellationToken = default)
    {
        StreamName.ValidateTenant(tenant);
        if (to < from)
        {
            throw new ArgumentException("The period ends before it starts.", nameof(to));
        }

        return ExportAsync(tenant, null, from, to, format, destination, cancellationToken);
    }

    private async Task<AuditExportSummary> ExportAsync(
        string tenant, string? streamId, Instant? from, Instant? to, AuditExportFormat format, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await using var writer = format == AuditExportFormat.Csv ? (ExportWriter)new CsvExportWriter(destination) : new JsonLinesExportWriter(destination);
        await writer.StartAsync(cancellationToken);

        var schema = _store.Options.Schema;
        var sql = new StringBuilder()
            .Append("SELECT e.stream_id, e.stream_version, e.position, e.event_id, e.event_type, e.recorded_at, e.data::text, e.metadata::text, e.hash,")
            // The previous hash: from the row before when it is version - 1 of the same stream (the common case, no
            // lookup), otherwise looked up (the first row of a stream in a period, or of a batch). The window is per
            // stream: the row before may be another stream's, whose last version can be just one lower.
            .Append(" CASE WHEN e.stream_version = 1 THEN decode(repeat('00', 32), 'hex')")
            .Append(" WHEN lag(e.stream_version) OVER w = e.stream_version - 1 THEN lag(e.hash) OVER w")
            .Append(" ELSE (SELECT p.hash FROM ").Append(schema).Append(".events p WHERE p.tenant_id = e.tenant_id AND p.stream_id = e.stream_id AND p.stream_version = e.stream_version - 1) END")
            .Append(" FROM ").Append(schema).Append(".events e WHERE e.tenant_id = $1 AND (e.stream_id, e.stream_version) > ($2, $3)");
        if (streamId is not null)
        {
            sql.Append(" AND e.stream_id = $5");
        }

        if (from is not null)
        {
            // A bound outside DateTime's range is no bound: the period then reaches as far as the stored values do.
            sql.Append(" AND ($6::timestamptz IS NULL OR e.recorded_at >= $6) AND ($7::timestamptz IS NULL OR e.recorded_at < $7)");
        }

        sql.Append(" WINDOW w AS (PARTITION BY e.stream_id ORDER BY e.stream_version) ORDER BY e.stream_id, e.stream_version LIMIT $4");
        var text = sql.ToString();

        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for the whole export: batches fit together even while appends go on.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var lastStream = string.Empty;
        var lastVersion = 0L;
        long events = 0, streams = 0;
        string? previousStream = null;
        while (true)
        {
            await using var command = new NpgsqlCommand(text, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lastStream });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lastVersion });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _batchSize });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId ?? string.Empty });
            if (from is { } start && to is { } end)
            {
                command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = start <= PostgresEventStore.MinRecordable ? null : start.ToDateTimeUtc() });
                command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = end > PostgresEventStore.MaxRecordable ? null : end.ToDateTimeUtc() });
            }
            var rows = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows++;
                    var id = reader.GetString(0);
                    var version = reader.GetInt64(1);
                    var exported = new ExportedEvent(
                        new CanonicalEvent(
                            tenant,
                            id,
                            version,
                            reader.GetGuid(3),
                            reader.GetString(4),
                            CanonicalEvent.ReadMicroseconds(reader, 5),
                            reader.GetString(6),
                            reader.GetString(7)),
                        reader.GetInt64(2),
                        reader.IsDBNull(9) ? null : ToHash(reader.GetFieldValue<byte[]>(9)),
                        reader.IsDBNull(8) ? null : ToHash(reader.GetFieldValue<byte[]>(8)));
                    await writer.WriteAsync(exported, cancellationToken);
                    events++;
                    if (!string.Equals(previousStream, id, StringComparison.Ordinal))
                    {
                        streams++;
                        previousStream = id;
                    }

                    lastStream = id;
                    lastVersion = version;
                }
            }

            if (rows < _batchSize)
            {
                break;
            }
        }

        await transaction.CommitAsync(cancellationToken);
        await writer.FinishAsync(cancellationToken);
        return new AuditExportSummary(events, streams);
    }

    // A stored value of the wrong length (only tampering makes one) is exported as the SHA-256 of its bytes, which
    // chains with nothing, so the offline check flags the row as the online one does.
    private static AuditHash ToHash(byte[] bytes) => bytes.Length == AuditHash.Length ? AuditHash.FromBytes(bytes) : AuditHash.Compute(bytes);

    private abstract class ExportWriter(Stream destination) : IAsyncDisposable
    {
        protected Stream Destination { get; } = destination;

        public virtual Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public abstract ValueTask WriteAsync(ExportedEvent exported, CancellationToken cancellationToken);

        public abstract Task FinishAsync(CancellationToken cancellationToken);

        public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class JsonLinesExportWriter : ExportWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(128 * 1024);
        private readonly Utf8JsonWriter _json;

        public JsonLinesExportWriter(Stream destination)
            : base(destination)
        {
            // Relaxed escaping keeps ids and names readable; the file is data for auditors, never embedded in HTML.
            _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }

        public override async ValueTask WriteAsync(ExportedEvent exported, CancellationToken cancellationToken)
        {
            var e = exported.Event;
            _json.Reset(_buffer);
            _json.WriteStartObject();
            _json.WriteString("tenant", e.Tenant);
            _json.WriteString("streamId", e.StreamId);
            _json.WriteNumber("version", e.StreamVersion);
            _json.WriteNumber("position", exported.Position);
            _json.WriteString("eventId", e.EventId);
            _json.WriteString("eventType", e.EventType);
            _json.WriteString("recordedAt", Micros.Format(e.RecordedAtWithinRange));
            _json.WritePropertyName("data");
            // Verbatim: the hash covers exactly this text.
            _json.WriteRawValue(e.DataJson, skipInputValidation: true);
            _json.WritePropertyName("metadata");
            _json.WriteRawValue(e.MetadataJson, skipInputValidation: true);
            WriteHash("previousHash", exported.PreviousHash);
            WriteHash("hash", exported.Hash);
            _json.WriteEndObject();
            _json.Flush();
            _buffer.Write("\n"u8);
            if (_buffer.WrittenCount >= 64 * 1024)
            {
                await Destination.WriteAsync(_buffer.WrittenMemory, cancellationToken);
                _buffer.ResetWrittenCount();
            }
        }

        public override async Task FinishAsync(CancellationToken cancellationToken)
        {
            await Destination.WriteAsync(_buffer.WrittenMemory, cancellationToken);
            _buffer.ResetWrittenCount();
            await Destination.FlushAsync(cancellationToken);
        }

        public override async ValueTask DisposeAsync() => await _json.DisposeAsync();

        private void WriteHash(string name, AuditHash? hash)
        {
            if (hash is { } h)
            {
                _json.WriteString(name, h.ToString());
            }
            else
            {
                _json.WriteNull(name);
            }
        }
    }

    private sealed class CsvExportWriter(Stream destination) : ExportWriter(destination)
    {
        private readonly StreamWriter _writer = new(destination, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\r\n" };

        public override async Task StartAsync(CancellationToken cancellationToken) =>
            await _writer.WriteLineAsync(string.Join(',', Columns).AsMemory(), cancellationToken);

        public override async ValueTask WriteAsync(ExportedEvent exported, CancellationToken cancellationToken)
        {
            var e = exported.Event;
            var line = new StringBuilder(256 + e.DataJson.Length + e.MetadataJson.Length);
            Field(line, e.Tenant).Append(',');
            Field(line, e.StreamId).Append(',');
            line.Append(e.StreamVersion.ToString(CultureInfo.InvariantCulture)).Append(',');
            line.Append(exported.Position.ToString(CultureInfo.InvariantCulture)).Append(',');
            line.Append(e.EventId.ToString("D", CultureInfo.InvariantCulture)).Append(',');
            Field(line, e.EventType).Append(',');
            line.Append(Micros.Format(e.RecordedAtWithinRange)).Append(',');
            Field(line, e.DataJson).Append(',');
            Field(line, e.MetadataJson).Append(',');
            line.Append(exported.PreviousHash?.ToString()).Append(',');
            line.Append(exported.Hash?.ToString());
            await _writer.WriteLineAsync(line, cancellationToken);
        }

        private bool _finished;

        public override async Task FinishAsync(CancellationToken cancellationToken)
        {
            await _writer.FlushAsync(cancellationToken);
            _finished = true;
        }

        // A failed export leaves out what it had not written yet, as the JSON Lines writer does: flushing it on the way
        // out would start an HTTP response (the header row alone) that then can only end cut off, where a failure before
        // the first write can still be answered with an error status. The writer leaves the destination open, so there
        // is nothing else to release.
        public override async ValueTask DisposeAsync()
        {
            if (_finished)
            {
                await _writer.DisposeAsync();
            }
        }

        private static StringBuilder Field(StringBuilder line, string value)
        {
            value = CsvText.Neutralize(value);
            if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
            {
                return line.Append(value);
            }

            return line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }
    }
}

/// <summary>
/// Keeps a CSV text field from being run as a formula when the file is opened in a spreadsheet (CSV injection): a field
/// that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return is written with a <c>'</c> in
/// front, and so is one that starts with <c>'</c> itself, so that reading drops exactly one leading <c>'</c> and gets
/// the stored text back, byte for byte (the hash covers it).
/// </summary>
internal static class CsvText
{
    private static readonly System.Buffers.SearchValues<char> Leading = System.Buffers.SearchValues.Create("=+-@\t\r'");

    public static string Neutralize(string value) => value.Length > 0 && Leading.Contains(value[0]) ? "'" + value : value;

    public static string Restore(string field) => field.StartsWith('\'') ? field[1..] : field;
}

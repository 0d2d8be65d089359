using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EventCase.EventStore.Auditing;

/// <summary>
/// Reads an audit export back (<see cref="ReadAsync"/>) and re-checks its hash chains without the database
/// (<c>VerifyOfflineAsync</c>): the auditor's side of <see cref="AuditExporter"/>. Streams the file: reading holds one
/// line at a time, checking a little more per stream (see <c>VerifyOfflineAsync</c>). Thread safe (no state).
/// </summary>
public static class AuditExportReader
{
    /// <summary>The events of an export, in file order.</summary>
    /// <exception cref="FormatException">A line is not an export row.</exception>
    public static async IAsyncEnumerable<ExportedEvent> ReadAsync(
        Stream source, AuditExportFormat format, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new StreamReader(source, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, 64 * 1024, leaveOpen: true);
        if (format == AuditExportFormat.JsonLines)
        {
            var number = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                number++;
                if (line.Length > 0)
                {
                    yield return ParseJsonLine(line, number);
                }
            }

            yield break;
        }

        var csv = new CsvReader(reader);
        var header = await csv.ReadRecordAsync(cancellationToken);
        if (header is null || !header.SequenceEqual(AuditExporter.Columns, StringComparer.Ordinal))
        {
            throw new FormatException("The CSV does not start with the audit export header: " + string.Join(',', AuditExporter.Columns));
        }

        var row = 1;
        while (await csv.ReadRecordAsync(cancellationToken) is { } fields)
        {
            row++;
            yield return ParseCsvRecord(fields, row);
        }
    }

    /// <summary>
    /// Re-checks the chains of an export: every event's hash is SHA-256 of the previous hash and its canonical bytes,
    /// versions run without gaps, each event names the hash of the one before it, a stream's first version chains
    /// from zero, and each stream's lines are together (a stream whose lines start again after other streams' is an
    /// <see cref="TamperKind.InsertedEvent"/>). The stream rows are not in an export, so a changed head or a deleted tail
    /// cannot be seen offline. Memory: constant, plus 16 bytes and a set entry per stream in the file.
    /// </summary>
    public static async Task<AuditReport> VerifyOfflineAsync(
        IAsyncEnumerable<ExportedEvent> events, string scope = "export", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var started = Stopwatch.GetTimestamp();
        var walker = new ChainWalker(new CanonicalEncoder());
        var findings = new List<AuditFinding>();
        long count = 0, streams = 0;
        StreamName? open = null;
        AuditFinding? fileFinding = null;

        // An export holds each stream's lines together. A stream whose lines start again after other streams' lines had
        // them moved or added: otherwise a line removed from a stream and the lines after it moved elsewhere in the
        // file would each check on their own, as the part of a period export does. Kept per stream: a 16-byte digest of
        // its name and whether its first run was already reported.
        var seen = new Dictionary<Int128, bool>();
        var again = false;
        await foreach (var exported in events.WithCancellation(cancellationToken))
        {
            var e = exported.Event;
            var name = new StreamName(e.Tenant, e.StreamId);
            if (open != name)
            {
                if (open is not null)
                {
                    Finish();
                }

                open = name;
                fileFinding = null;
                again = seen.TryGetValue(Digest(name), out var reported);
                if (again)
                {
                    if (!reported)
                    {
                        findings.Add(new AuditFinding(name, e.StreamVersion, TamperKind.InsertedEvent,
                            $"version {e.StreamVersion} appears after other streams' lines, apart from the stream's earlier lines: lines were moved or added"));
                        seen[Digest(name)] = true;
                    }

                    count++;
                    continue;
                }
                // An export of a period starts a stream where the period does: the export names the hash it chains from.
                var previous = exported.PreviousHash ?? AuditHash.Zero;
                if (e.StreamVersion == 1 && previous != AuditHash.Zero)
                {
                    fileFinding = new AuditFinding(name, 1, TamperKind.EditedEvent, "version 1 names a previous hash other than zero");
                }

                walker.Begin(name, headKnown: false, head: null, e.StreamVersion, previous);
            }
            else if (again)
            {
                count++;
                continue;
            }
            else if (fileFinding is null && !walker.IsBroken && e.StreamVersion == walker.ExpectedVersion && exported.PreviousHash != walker.Previous)
            {
                fileFinding = new AuditFinding(name, e.StreamVersion, TamperKind.EditedEvent, "its previousHash is not the hash of the event before it");
            }

            walker.Accept(e.StreamVersion, e.EventId, e.EventType, e.RecordedAtMicroseconds, e.DataJson, e.MetadataJson, exported.Hash);
            count++;
        }

        if (open is not null)
        {
            Finish();
        }

        return new AuditReport(scope, streams, count, findings.Count, findings, Stopwatch.GetElapsedTime(started));

        void Finish()
        {
            if (again)
            {
                return;
            }

            streams++;
            var chain = walker.End();
            var finding = chain is not null && (fileFinding is null || chain.Version <= fileFinding.Version) ? chain : fileFinding;
            if (finding is not null)
            {
                findings.Add(finding);
            }

            seen[Digest(open!.Value)] = finding is not null;
        }
    }

    /// <summary>The first 16 bytes of SHA-256 over the length-prefixed tenant and stream id: a collision is out of reach.</summary>
    private static Int128 Digest(StreamName name)
    {
        var tenant = Encoding.UTF8.GetBytes(name.Tenant);
        var id = Encoding.UTF8.GetBytes(name.Id);
        var bytes = new byte[8 + tenant.Length + id.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, tenant.Length);
        tenant.CopyTo(bytes, 4);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + tenant.Length), id.Length);
        id.CopyTo(bytes, 8 + tenant.Length);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return BinaryPrimitives.ReadInt128BigEndian(hash);
    }

    /// <summary>Reads and verifies an export file in one pass.</summary>
    public static Task<AuditReport> VerifyOfflineAsync(Stream source, AuditExportFormat format, CancellationToken cancellationToken = default) =>
        VerifyOfflineAsync(ReadAsync(source, format, cancellationToken), "export", cancellationToken);

    private static ExportedEvent ParseJsonLine(string line, int number)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            // The parser's own words ("expected depth to be zero", "LineNumber: 0") describe a document, not a line of
            // an export: an indented JSON file, or any other text, fails here.
            throw new FormatException($"Line {number} is not an audit export row: not one JSON object (an export holds one event per line).");
        }

        using (document)
        {
            var root = document.RootElement;
            try
            {
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException($"it is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object.");
                }

                RefuseRepeatedOrUnknownColumns(root);

                return new ExportedEvent(
                    new CanonicalEvent(
                        Text(root, "tenant"),
                        Text(root, "streamId"),
                        Member(root, "version").GetInt64(),
                        Member(root, "eventId").GetGuid(),
                        Text(root, "eventType"),
                        ParseMicros(Text(root, "recordedAt")),
                        // GetRawText is the text as it stands in the file: the exporter wrote the stored JSON verbatim.
                        Member(root, "data").GetRawText(),
                        Member(root, "metadata").GetRawText()),
                    Member(root, "position").GetInt64(),
                    ParseHash(Member(root, "previousHash").GetString()),
                    ParseHash(Member(root, "hash").GetString()));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new FormatException($"Line {number} is not an audit export row: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// A column given twice is refused: which of the two a reader takes differs between parsers (this one takes the
    /// last), so a line could show one value to a person or a tool and have the other checked against its hash. So is a
    /// member that is no column (decision 0004): no hash covers it, and a line could carry, say, an approval that the
    /// check would seem to vouch for.
    /// </summary>
    private static void RefuseRepeatedOrUnknownColumns(JsonElement row)
    {
        var seen = 0;
        foreach (var member in row.EnumerateObject())
        {
            var column = -1;
            for (var i = 0; i < AuditExporter.Columns.Count && column < 0; i++)
            {
                if (member.NameEquals(AuditExporter.Columns[i]))
                {
                    column = i;
                }
            }

            if (column < 0)
            {
                throw new FormatException($"it has \"{member.Name}\", which is not a column of an audit export ({string.Join(", ", AuditExporter.Columns)}).");
            }

            if ((seen & (1 << column)) != 0)
            {
                throw new FormatException($"it has \"{member.Name}\" twice.");
            }

            seen |= 1 << column;
        }
    }

    /// <summary>The member <paramref name="name"/> of an export row; its absence is named.</summary>
    private static JsonElement Member(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) ? value : throw new FormatException($"it has no \"{name}\".");

    /// <summary>A text member of an export row; a missing one, or one of another type, is named.</summary>
    private static string Text(JsonElement row, string name) =>
        Member(row, name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw new FormatException($"its \"{name}\" is not a string.");

    private static ExportedEvent ParseCsvRecord(List<string> fields, int row)
    {
        if (fields.Count != AuditExporter.Columns.Count)
        {
            throw new FormatException($"CSV record {row} has {fields.Count} fields, not {AuditExporter.Columns.Count}.");
        }

        try
        {
            return new ExportedEvent(
                new CanonicalEvent(
                    CsvText.Restore(fields[0]),
                    CsvText.Restore(fields[1]),
                    // A version below 1 is read as it stands: only tampering stores one, and the check reports it.
                    long.Parse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
                    Guid.Parse(fields[4], CultureInfo.InvariantCulture),
                    CsvText.Restore(fields[5]),
                    ParseMicros(fields[6]),
                    CsvText.Restore(fields[7]),
                    CsvText.Restore(fields[8])),
                long.Parse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture),
                ParseHash(fields[9]),
                ParseHash(fields[10]));
        }
        catch (FormatException e)
        {
            throw new FormatException($"CSV record {row} is not an audit export row: {e.Message}", e);
        }
    }

    private static long ParseMicros(string text) => AuditExporter.Micros.Parse(text).GetValueOrThrow().ToUnixTimeTicks() / 10;

    private static AuditHash? ParseHash(string? hex) => string.IsNullOrEmpty(hex) ? null : AuditHash.Parse(hex);

    /// <summary>RFC 4180: fields separated by commas, quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private sealed class CsvReader(TextReader reader)
    {
        private readonly char[] _buffer = new char[64 * 1024];
        private int _length;
        private int _at;

        public async Task<List<string>?> ReadRecordAsync(CancellationToken cancellationToken)
        {
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            var any = false;
            while (true)
            {
                if (_at == _length)
                {
                    _length = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                    _at = 0;
                    if (_length == 0)
                    {
                        if (!any)
                        {
                            return null;
                        }

                        fields.Add(field.ToString());
                        return fields;
                    }
                }

                var c = _buffer[_at++];
                any = true;
                if (quoted)
                {
                    if (c != '"')
                    {
                        field.Append(c);
                    }
                    else if (await PeekAsync(cancellationToken) == '"')
                    {
                        _at++;
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else if (c == '"')
                {
                    quoted = true;
                }
                else if (c == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                }
                else if (c == '\r')
                {
                    continue;
                }
                else if (c == '\n')
                {
                    fields.Add(field.ToString());
                    return fields;
                }
                else
                {
                    field.Append(c);
                }
            }
        }

        private async Task<int> PeekAsync(CancellationToken cancellationToken)
        {
            if (_at == _length)
            {
                _length = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                _at = 0;
                if (_length == 0)
                {
                    return -1;
                }
            }

            return _buffer[_at];
        }
    }
}

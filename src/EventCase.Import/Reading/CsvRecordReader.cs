using System.Globalization;
using System.Text;
using System.Text.Unicode;
using EventCase.Import.Running;

namespace EventCase.Import.Reading;

/// <summary>One record of a CSV file, as read.</summary>
/// <param name="Line">The line the record starts on (the header is line 1).</param>
/// <param name="Fields">Its fields. For a record with a <paramref name="Problem"/>, as far as they could be read.</param>
/// <param name="Problem">Why the record cannot be imported as read (broken quoting, bytes that are not UTF-8), or null.</param>
/// <param name="ReadableFields">How many of the leading fields were read intact: all of them unless the quoting broke,
/// then those before the broken one.</param>
internal sealed record CsvRecord(long Line, string[] Fields, string? Problem, int ReadableFields)
{
    /// <summary>The field at <paramref name="index"/> if it was read intact, else null: a broken record's fields up
    /// to its broken one, and no field holding a byte that was not UTF-8 (decoded as U+FFFD only to keep reading).</summary>
    public string? ReadableField(int index) =>
        index >= 0 && index < ReadableFields && index < Fields.Length && (Problem is null || !Fields[index].Contains('\uFFFD', StringComparison.Ordinal))
            ? Fields[index]
            : null;
}

/// <summary>
/// Reads a UTF-8 CSV file (RFC 4180: comma separated, fields optionally in double quotes, a quote in a quoted field
/// doubled, line breaks allowed in quoted fields; lines end in LF, CRLF or CR; blank lines are skipped) record by record,
/// accounting for every line:
/// <list type="bullet">
/// <item>each record knows the line it starts on;</item>
/// <item>each line is decoded strictly: a line that is not valid UTF-8 makes its record's <see cref="CsvRecord.Problem"/>
/// say so, naming the line and the byte, instead of being stored with replacement characters;</item>
/// <item>broken quoting (a quote inside an unquoted field, text after a closing quote) is the record's problem; and
/// when it spans several lines, or a quoted field is still open at the end of the file (or after
/// <see cref="MaxLinesPerRecord"/> lines), only the record's first line is reported and the lines after it are read
/// again as records. One stray opening quote would otherwise swallow the rest of the file into one bad record.</item>
/// </list>
/// Not thread safe.
/// </summary>
internal sealed class CsvRecordReader
{
    /// <summary>The most lines one record may span; a quoted field still open after that many is taken as a stray
    /// quote. It also bounds what is kept in memory to read those lines again.</summary>
    public const int MaxLinesPerRecord = 10_000;

    private readonly Stream _stream;
    private readonly LinkedList<PhysicalLine> _again = new();
    private readonly List<string> _fields = [];
    private readonly StringBuilder _field = new();
    private byte[] _buffer;
    private int _start, _end, _scanned;
    private bool _endOfStream, _started;

    /// <summary>Reads <paramref name="stream"/> from its current position (it is not disposed).</summary>
    public CsvRecordReader(Stream stream, int bufferSize = 1 << 16)
    {
        _stream = stream;
        _buffer = new byte[Math.Max(bufferSize, 16)];
    }

    /// <summary>The header's names, once the caller has read the header: problems then name the column too.</summary>
    public IReadOnlyList<string>? Header { get; set; }

    /// <summary>The number of the last line read from the file so far.</summary>
    public long LinesRead { get; private set; }

    /// <summary>The next record, or null at the end of the file.</summary>
    /// <exception cref="InvalidImportFileException">The file is UTF-16 or UTF-32 (it starts with their byte order mark).</exception>
    public async ValueTask<CsvRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        while (await NextLineAsync(cancellationToken) is { } first)
        {
            if (first.Text.Length > 0)
            {
                return await ReadRecordAsync(first, cancellationToken);
            }
        }

        return null;
    }

    private async ValueTask<CsvRecord> ReadRecordAsync(PhysicalLine first, CancellationToken cancellationToken)
    {
        _fields.Clear();
        _field.Clear();
        var state = FieldState.Start;
        QuotingProblem? quoting = null;
        var encodingProblem = first.EncodingProblem;
        List<PhysicalLine>? continued = null;
        var fieldsOnFirstLine = -1;
        var line = first;
        while (!ReadLine(line, ref state, ref quoting))
        {
            // A quoted field goes on to the next line.
            if (fieldsOnFirstLine < 0)
            {
                fieldsOnFirstLine = _fields.Count;
            }

            continued ??= [];
            var next = continued.Count < MaxLinesPerRecord - 1 ? await NextLineAsync(cancellationToken) : null;
            if (next is null)
            {
                var ending = continued.Count < MaxLinesPerRecord - 1
                    ? "is never closed: the file ends inside it"
                    : $"is still open {MaxLinesPerRecord:N0} lines later";
                return ReadAgainAfter(first, continued, fieldsOnFirstLine,
                    $"the quoted field {FieldName(fieldsOnFirstLine)} that opens on line {first.Number} {ending}");
            }

            continued.Add(next);
            encodingProblem ??= next.EncodingProblem;
            line = next;
        }

        if (quoting is { } broken)
        {
            var detail = $"{broken.What} {FieldName(broken.Field)}";
            if (continued is null)
            {
                return new CsvRecord(first.Number, [.. _fields], $"broken quoting: {detail}: {Excerpt(first.Text)}", broken.Field);
            }

            return ReadAgainAfter(first, continued, Math.Min(broken.Field, fieldsOnFirstLine), broken.Field < fieldsOnFirstLine
                ? $"{detail}, and the record would run on to line {continued[^1].Number}"
                : $"the quoted field {FieldName(fieldsOnFirstLine)} that opens on line {first.Number} runs on to line {continued[^1].Number}, where {detail} follows");
        }

        var fields = _fields.ToArray();
        return new CsvRecord(first.Number, fields, encodingProblem, fields.Length);
    }

    /// <summary>
    /// Reports a record whose quoting broke across lines as its first line alone, and puts the lines after it back to be
    /// read again: the likely cause is one stray quote, and the rows after it are as good as they were.
    /// </summary>
    private CsvRecord ReadAgainAfter(PhysicalLine first, List<PhysicalLine> continued, int readableFields, string detail)
    {
        for (var i = continued.Count - 1; i >= 0; i--)
        {
            _again.AddFirst(continued[i]);
        }

        var again = continued.Count switch
        {
            0 => "",
            1 => $"; only line {first.Number} is rejected, line {continued[0].Number} is read again as a row",
            _ => $"; only line {first.Number} is rejected, lines {continued[0].Number}–{continued[^1].Number} are read again as rows",
        };
        return new CsvRecord(first.Number, [.. _fields.Take(readableFields)], $"broken quoting: {detail}{again}: {Excerpt(first.Text)}", readableFields);
    }

    /// <summary>Reads one line's characters into the record's fields; true when the record ends with the line.</summary>
    private bool ReadLine(PhysicalLine line, ref FieldState state, ref QuotingProblem? quoting)
    {
        var text = line.Text.AsSpan();
        var i = 0;
        while (i < text.Length)
        {
            switch (state)
            {
                case FieldState.Start when text[i] == '"':
                    state = FieldState.Quoted;
                    i++;
                    break;
                case FieldState.Start:
                case FieldState.Unquoted:
                {
                    var stop = text[i..].IndexOfAny(',', '"');
                    if (stop < 0)
                    {
                        _field.Append(text[i..]);
                        i = text.Length;
                        state = FieldState.Unquoted;
                    }
                    else if (text[i + stop] == ',')
                    {
                        _field.Append(text.Slice(i, stop));
                        EndField();
                        state = FieldState.Start;
                        i += stop + 1;
                    }
                    else
                    {
                        // RFC 4180 has no quote inside an unquoted field; kept as text, the record is rejected.
                        quoting ??= new QuotingProblem("a quote inside the unquoted field", _fields.Count);
                        _field.Append(text.Slice(i, stop + 1));
                        state = FieldState.Unquoted;
                        i += stop + 1;
                    }

                    break;
                }

                case FieldState.Quoted:
                {
                    var quote = text[i..].IndexOf('"');
                    if (quote < 0)
                    {
                        _field.Append(text[i..]);
                        i = text.Length;
                    }
                    else if (i + quote + 1 < text.Length && text[i + quote + 1] == '"')
                    {
                        _field.Append(text.Slice(i, quote + 1));
                        i += quote + 2;
                    }
                    else
                    {
                        _field.Append(text.Slice(i, quote));
                        state = FieldState.AfterQuote;
                        i += quote + 1;
                    }

                    break;
                }

                case FieldState.AfterQuote when text[i] == ',':
                    EndField();
                    state = FieldState.Start;
                    i++;
                    break;
                default:
                    quoting ??= new QuotingProblem("text after the closing quote of the field", _fields.Count);
                    state = FieldState.Unquoted;
                    break;
            }
        }

        if (state == FieldState.Quoted)
        {
            _field.Append(line.Terminator);
            return false;
        }

        EndField();
        return true;
    }

    private void EndField()
    {
        _fields.Add(_field.ToString());
        _field.Clear();
    }

    private string FieldName(int index) =>
        Header is { } header && index < header.Count
            ? $"{index + 1} ({header[index]})"
            : (index + 1).ToString(CultureInfo.InvariantCulture);

    private static string Excerpt(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>The next physical line: one put back to be read again, else the file's next.</summary>
    private async ValueTask<PhysicalLine?> NextLineAsync(CancellationToken cancellationToken)
    {
        if (_again.First is { } again)
        {
            _again.RemoveFirst();
            return again.Value;
        }

        if (!_started)
        {
            await StartAsync(cancellationToken);
        }

        while (true)
        {
            var unread = _buffer.AsSpan(_start, _end - _start);
            var end = unread[_scanned..].IndexOfAny((byte)'\n', (byte)'\r');
            if (end >= 0)
            {
                end += _scanned;

                // A CR at the end of what is buffered may be the first half of a CRLF.
                if (unread[end] == '\r' && end + 1 == unread.Length && !_endOfStream)
                {
                    _scanned = end;
                    await FillAsync(cancellationToken);
                    continue;
                }

                var terminator = unread[end] == '\n' ? "\n" : end + 1 < unread.Length && unread[end + 1] == '\n' ? "\r\n" : "\r";
                var line = Decode(unread[..end], terminator);
                _start += end + terminator.Length;
                _scanned = 0;
                return line;
            }

            if (_endOfStream)
            {
                if (unread.IsEmpty)
                {
                    return null;
                }

                var last = Decode(unread, "");
                _start = _end;
                _scanned = 0;
                return last;
            }

            _scanned = unread.Length;
            await FillAsync(cancellationToken);
        }
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        while (_end < 4 && !_endOfStream)
        {
            await FillAsync(cancellationToken);
        }

        var start = _buffer.AsSpan(0, _end);
        if (start.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            _start = 3;
        }
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || start.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])
                 || start.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            throw new InvalidImportFileException(
                "the file starts with a UTF-16 or UTF-32 byte order mark; the importer reads UTF-8: convert the file (e.g. iconv -f UTF-16 -t UTF-8).");
        }
    }

    /// <summary>Reads more of the stream after what is buffered, moving the unread bytes to the front (and growing the
    /// buffer when one line fills it).</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        _endOfStream = read == 0;
    }

    private PhysicalLine Decode(ReadOnlySpan<byte> bytes, string terminator)
    {
        var number = ++LinesRead;
        if (Utf8.IsValid(bytes))
        {
            return new PhysicalLine(number, Encoding.UTF8.GetString(bytes), terminator, null);
        }

        // Where the first invalid sequence starts: what was decoded before it is valid.
        var decoded = new char[bytes.Length];
        Utf8.ToUtf16(bytes, decoded, out var valid, out _, replaceInvalidSequences: false);
        var problem = string.Create(CultureInfo.InvariantCulture,
            $"line {number} is not UTF-8 (byte 0x{bytes[valid]:X2} at byte {valid + 1} of the line): the importer reads UTF-8 and does not store replacement characters; convert the file (e.g. iconv -f WINDOWS-1252 -t UTF-8)");

        // Decoded with replacement characters only to keep the record's quoting in step; the record is rejected.
        return new PhysicalLine(number, Encoding.UTF8.GetString(bytes), terminator, problem);
    }

    private enum FieldState
    {
        Start,
        Unquoted,
        Quoted,
        AfterQuote,
    }

    private readonly record struct QuotingProblem(string What, int Field);

    private sealed record PhysicalLine(long Number, string Text, string Terminator, string? EncodingProblem);
}

using System.Globalization;
using System.Text;
using CsvHelper;
using EventCase.Import.Reading;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;

namespace EventCase.Import.Tests.Reading;

public sealed class CsvRecordReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Quoted_fields_keep_commas_doubled_quotes_and_line_breaks_and_records_know_their_first_line()
    {
        var records = await ReadAllAsync("a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\r\nlines\"\n\n2,,\"\"\r3,4,5");

        Assert.Equal([1L, 2L, 5L, 6L], records.Select(r => r.Line));
        Assert.Equal(["1", "x, \"y\"", "two\r\nlines"], records[1].Fields);
        Assert.Equal(["2", "", ""], records[2].Fields);
        Assert.Equal(["3", "4", "5"], records[3].Fields);
        Assert.All(records, r => Assert.Null(r.Problem));
    }

    [Fact]
    public async Task A_byte_order_mark_is_skipped_and_a_last_line_without_a_line_break_is_read()
    {
        var records = await ReadAllAsync([0xEF, 0xBB, 0xBF, .. "id,name\n1,Café"u8]);

        Assert.Equal(["id", "name"], records[0].Fields);
        Assert.Equal(["1", "Café"], records[1].Fields);
    }

    [Fact]
    public async Task A_stray_opening_quote_costs_its_own_line_only_and_the_lines_after_it_are_read_again()
    {
        var text = new StringBuilder("id,title,n\n");
        for (var i = 2; i <= 101; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},{(i == 11 ? "\"Broken title" : "Title")},{i}\n");
        }

        var records = await ReadAllAsync(text.ToString(), header: ["id", "title", "n"]);

        Assert.Equal(101, records.Count);
        Assert.Equal(Enumerable.Range(1, 101).Select(i => (long)i), records.Select(r => r.Line));
        var broken = Assert.Single(records, r => r.Problem is not null);
        Assert.Equal(11, broken.Line);
        Assert.Equal(
            "broken quoting: the quoted field 2 (title) that opens on line 11 is never closed: the file ends inside it; "
            + "only line 11 is rejected, lines 12–101 are read again as rows: 11,\"Broken title,11",
            broken.Problem);
        Assert.Equal("11", broken.ReadableField(0));
        Assert.Null(broken.ReadableField(1));
        Assert.Equal(["12", "Title", "12"], records[11].Fields);
    }

    [Fact]
    public async Task A_quoted_field_still_open_after_the_most_lines_a_record_may_span_is_taken_as_a_stray_quote()
    {
        var text = new StringBuilder("id,title\n2,\"Broken title\n");
        for (var i = 3; i <= 12_001; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},Title\n");
        }

        var records = await ReadAllAsync(text.ToString());

        Assert.Equal(12_001, records.Count);
        Assert.StartsWith("broken quoting: the quoted field 2 that opens on line 2 is still open 10,000 lines later; only line 2 is rejected, lines 3–10001 are read again as rows",
            records[1].Problem, StringComparison.Ordinal);
        Assert.All(records.Skip(2), r => Assert.Null(r.Problem));
        Assert.Equal(["12001", "Title"], records[^1].Fields);
    }

    [Fact]
    public async Task A_stray_quote_that_a_later_line_seems_to_close_is_reported_on_its_line_and_the_next_line_is_read_again()
    {
        // The rows end in a quoted point: the stray quote on line 3 is "closed" by line 4's first quote.
        var records = await ReadAllAsync("id,title,point\n2,ok,\"(1, 2)\"\n3,\"Broken title,\n4,ok,\"(1, 2)\"\n5,ok,\"(1, 2)\"\n");

        Assert.Equal([1L, 2L, 3L, 4L, 5L], records.Select(r => r.Line));
        Assert.StartsWith("broken quoting: the quoted field 2 that opens on line 3 runs on to line 4, where text after the closing quote of the field",
            records[2].Problem, StringComparison.Ordinal);
        Assert.Contains("only line 3 is rejected, line 4 is read again as a row", records[2].Problem, StringComparison.Ordinal);
        Assert.Equal(["4", "ok", "(1, 2)"], records[3].Fields);
        Assert.Null(records[3].Problem);
    }

    [Theory]
    [InlineData("1,ab\"c,3", "broken quoting: a quote inside the unquoted field 2: 1,ab\"c,3")]
    [InlineData("1,\"ab\"c,3", "broken quoting: text after the closing quote of the field 2: 1,\"ab\"c,3")]
    public async Task Broken_quoting_on_one_line_is_that_records_problem_and_the_fields_before_it_stay_readable(string line, string problem)
    {
        var records = await ReadAllAsync("a,b,c\n" + line + "\n4,5,6\n");

        Assert.Equal(problem, records[1].Problem);
        Assert.Equal("1", records[1].ReadableField(0));
        Assert.Null(records[1].ReadableField(1));
        Assert.Null(records[2].Problem);
    }

    [Fact]
    public async Task A_line_that_is_not_utf8_is_its_records_problem_naming_the_line_and_byte_and_no_replacement_character_is_passed_on_as_data()
    {
        // "Café" in Latin-1: é is the single byte 0xE9.
        var records = await ReadAllAsync([.. "id,name\n1,Caf"u8, 0xE9, .. "\n2,Cafe\n"u8]);

        Assert.Equal(
            "line 2 is not UTF-8 (byte 0xE9 at byte 6 of the line): the importer reads UTF-8 and does not store replacement characters; "
            + "convert the file (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
            records[1].Problem);
        Assert.Equal("1", records[1].ReadableField(0));
        Assert.Null(records[1].ReadableField(1));
        Assert.Null(records[2].Problem);
    }

    [Fact]
    public async Task A_utf16_file_is_refused()
    {
        var error = await Assert.ThrowsAsync<InvalidImportFileException>(() => ReadAllAsync(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("a,b\n1,2\n")).ToArray()));
        Assert.Contains("UTF-16 or UTF-32 byte order mark", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lines_longer_than_the_buffer_and_line_breaks_split_across_reads_are_read_whole()
    {
        var longField = new string('x', 100);
        var records = await ReadAllAsync($"a,b\r\n{longField},1\r\n2,\"{longField}\r\n{longField}\"\r\n", bufferSize: 16);

        Assert.Equal([longField, "1"], records[1].Fields);
        Assert.Equal(["2", longField + "\r\n" + longField], records[2].Fields);
        Assert.Equal(3, records.Count);
    }

    [Fact]
    public async Task The_Boston_file_reads_as_CsvHelper_reads_it()
    {
        await using var file = File.OpenRead(SourceFiles.PathOf(SourceFiles.Boston));
        var reader = new CsvRecordReader(file);
        using var text = new StreamReader(SourceFiles.PathOf(SourceFiles.Boston));
        using var parser = new CsvParser(text, CultureInfo.InvariantCulture);
        var count = 0;
        while (parser.Read())
        {
            var record = await reader.ReadAsync(Ct);
            Assert.NotNull(record);
            Assert.Null(record.Problem);
            Assert.Equal(parser.Record!, record.Fields);
            count++;
        }

        Assert.Null(await reader.ReadAsync(Ct));
        Assert.Equal(121_146, count);
    }

    private static Task<List<CsvRecord>> ReadAllAsync(string text, string[]? header = null) => ReadAllAsync(Encoding.UTF8.GetBytes(text), header);

    private static async Task<List<CsvRecord>> ReadAllAsync(byte[] bytes, string[]? header = null, int bufferSize = 1 << 16)
    {
        var reader = new CsvRecordReader(new MemoryStream(bytes), bufferSize);
        var records = new List<CsvRecord>();
        while (await reader.ReadAsync(Ct) is { } record)
        {
            records.Add(record);
            if (records.Count == 1)
            {
                reader.Header = header;
            }
        }

        return records;
    }

    private static Task<List<CsvRecord>> ReadAllAsync(string text, int bufferSize) => ReadAllAsync(Encoding.UTF8.GetBytes(text), null, bufferSize);
}

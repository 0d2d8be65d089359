using System.Diagnostics;
using System.Globalization;
using CsvHelper;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Import.Synthesis;
using EventCase.Import.Tests.Support;

namespace EventCase.Import.Tests.Running;

/// <summary>
/// The client side alone, on the full Boston file: CSV parsing, synthesis and the JSON serialization the store does
/// before sending, with no database. Explicit; it shows how much of the import's time is ours and how much is
/// PostgreSQL's.
/// </summary>
public sealed class SynthesisThroughputMeasurement
{
    [Fact(Explicit = true)]
    public void Parse_synthesize_and_serialize_the_full_Boston_file()
    {
        var serializer = CaseEvents.CreateSerializer();
        var clock = Stopwatch.StartNew();
        using var reader = new StreamReader(SourceFiles.PathOf(SourceFiles.Boston));
        using var parser = new CsvParser(reader, CultureInfo.InvariantCulture);
        parser.Read();
        var synthesizer = new CaseSynthesizer(SourceFiles.MappingFor(SourceFiles.Boston), new AgencyId("boston"), SourceFiles.Boston, parser.Record!);
        long rows = 0, events = 0, bytes = 0;
        while (parser.Read())
        {
            rows++;
            var row = synthesizer.Synthesize(parser.RawRow, parser.Record!);
            foreach (var e in row.Append?.Events ?? [])
            {
                events++;
                bytes += serializer.SerializeData(e.Data).Json.Length + serializer.SerializeMetadata(e.Metadata).Length;
            }
        }

        var total = clock.Elapsed;

        // The same passes without serializing, and without synthesizing, to split the time.
        var synthesisOnly = Pass(synthesize: true);
        var parseOnly = Pass(synthesize: false);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"client side only: {rows} rows, {events} events, {bytes / events} chars of JSON per event, {total.TotalSeconds:0.00} s = {events / total.TotalSeconds:0} events/s on one thread (CSV parsing {parseOnly.TotalSeconds:0.00} s, + synthesis {synthesisOnly.TotalSeconds:0.00} s, + JSON {total.TotalSeconds:0.00} s)");
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        var output = Path.Combine(AppContext.BaseDirectory, "import-measurements");
        Directory.CreateDirectory(output);
        File.AppendAllText(Path.Combine(output, "client-side.txt"), text + Environment.NewLine);
    }

    private static TimeSpan Pass(bool synthesize)
    {
        var clock = Stopwatch.StartNew();
        using var reader = new StreamReader(SourceFiles.PathOf(SourceFiles.Boston));
        using var parser = new CsvParser(reader, CultureInfo.InvariantCulture);
        parser.Read();
        var synthesizer = new CaseSynthesizer(SourceFiles.MappingFor(SourceFiles.Boston), new AgencyId("boston"), SourceFiles.Boston, parser.Record!);
        while (parser.Read())
        {
            var record = parser.Record!;
            if (synthesize)
            {
                synthesizer.Synthesize(parser.RawRow, record);
            }
        }

        return clock.Elapsed;
    }
}

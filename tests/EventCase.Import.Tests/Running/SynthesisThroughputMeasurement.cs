using System.Diagnostics;
using System.Globalization;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Import.Reading;
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
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Explicit = true)]
    public async Task Parse_synthesize_and_serialize_the_full_Boston_file()
    {
        var serializer = CaseEvents.CreateSerializer();
        var clock = Stopwatch.StartNew();
        await using var file = File.OpenRead(SourceFiles.PathOf(SourceFiles.Boston));
        var reader = new CsvRecordReader(file);
        var header = await reader.ReadAsync(Ct);
        var synthesizer = new CaseSynthesizer(SourceFiles.MappingFor(SourceFiles.Boston), new AgencyId("boston"), SourceFiles.Boston, header!.Fields);
        long rows = 0, events = 0, bytes = 0;
        while (await reader.ReadAsync(Ct) is { } record)
        {
            rows++;
            var row = synthesizer.Synthesize(record.Line, record.Fields);
            foreach (var e in row.Append?.Events ?? [])
            {
                events++;
                bytes += serializer.SerializeData(e.Data).Json.Length + serializer.SerializeMetadata(e.Metadata).Length;
            }
        }

        var total = clock.Elapsed;

        // The same passes without serializing, and without synthesizing, to split the time.
        var synthesisOnly = await PassAsync(synthesize: true);
        var parseOnly = await PassAsync(synthesize: false);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"client side only: {rows} rows, {events} events, {bytes / events} chars of JSON per event, {total.TotalSeconds:0.00} s = {events / total.TotalSeconds:0} events/s on one thread (CSV parsing {parseOnly.TotalSeconds:0.00} s, + synthesis {synthesisOnly.TotalSeconds:0.00} s, + JSON {total.TotalSeconds:0.00} s)");
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        var output = Path.Combine(AppContext.BaseDirectory, "import-measurements");
        Directory.CreateDirectory(output);
        File.AppendAllText(Path.Combine(output, "client-side.txt"), text + Environment.NewLine);
    }

    private static async Task<TimeSpan> PassAsync(bool synthesize)
    {
        var clock = Stopwatch.StartNew();
        await using var file = File.OpenRead(SourceFiles.PathOf(SourceFiles.Boston));
        var reader = new CsvRecordReader(file);
        var header = await reader.ReadAsync(Ct);
        var synthesizer = new CaseSynthesizer(SourceFiles.MappingFor(SourceFiles.Boston), new AgencyId("boston"), SourceFiles.Boston, header!.Fields);
        while (await reader.ReadAsync(Ct) is { } record)
        {
            if (synthesize)
            {
                synthesizer.Synthesize(record.Line, record.Fields);
            }
        }

        return clock.Elapsed;
    }
}

using EventCase.Import.Mapping;

namespace EventCase.Import.Tests.Support;

/// <summary>The public 311 files (../shared/data/311, or EVENTCASE_311_DATA) and the shipped mappings.</summary>
internal static class SourceFiles
{
    public const string Boston = "boston_311_2015.csv";
    public const string La2017 = "la_myla311_2017_sample.csv";
    public const string La2018 = "la_myla311_2018_sample.csv";

    private static readonly Lazy<string?> Directory = new(Find);

    public static string PathOf(string file)
    {
        var directory = Directory.Value;
        Assert.SkipWhen(directory is null, "The 311 data directory (../shared/data/311 or EVENTCASE_311_DATA) is not there.");
        return System.IO.Path.Combine(directory!, file);
    }

    public static ImportMapping MappingFor(string file) =>
        ImportMapping.Parse(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "mappings", System.IO.Path.ChangeExtension(file, ".json"))));

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("EVENTCASE_311_DATA") is { Length: > 0 } configured && System.IO.Directory.Exists(configured))
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data", "311");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

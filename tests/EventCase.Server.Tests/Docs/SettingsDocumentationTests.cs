using System.Reflection;
using System.Runtime.CompilerServices;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Open311;

namespace EventCase.Server.Tests.Docs;

/// <summary>
/// Every setting the service reads is in the settings table of docs/operating.md: EventCase:DataDirectory,
/// SeedDemoData, CasePrefixes and ReopenWindowDays were named nowhere a new agency's engineer would look, or only in
/// passing. A setting added without a line there fails here.
/// </summary>
public sealed class SettingsDocumentationTests
{
    public static TheoryData<string> Settings()
    {
        static IEnumerable<string> Of(Type type, string section) =>
            type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => $"{section}:{p.Name}");

        return [.. Of(typeof(ServerSettings), ServerSettings.Section), .. Of(typeof(AuthSettings), AuthSettings.Section), .. Of(typeof(Open311Settings), Open311Settings.Section)];
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Every_setting_of_the_service_is_in_the_settings_table_of_the_operating_guide(string setting)
    {
        var operating = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "operating.md"));
        var start = operating.IndexOf("\n## Settings\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/operating.md has no '## Settings' section");
        var end = operating.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var table = operating[start..end].Split('\n').Where(line => line.StartsWith("| `", StringComparison.Ordinal)).ToList();

        // A row names a setting in full, or after another of its section in the same row (`EventCase:A`, `B`).
        var (section, name) = (setting[..setting.IndexOf(':', StringComparison.Ordinal)], setting[(setting.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        Assert.True(
            table.Exists(row => row.Contains($"`{setting}`", StringComparison.Ordinal) || row.Contains($"`{setting}:", StringComparison.Ordinal)
                || (row.Contains($"`{section}:", StringComparison.Ordinal) && row.Contains($"`{name}`", StringComparison.Ordinal))),
            $"{setting} is not in the settings table of docs/operating.md");
    }

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        for (var directory = Path.GetDirectoryName(sourceFile); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "EventCase.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException($"No EventCase.sln above {sourceFile}: the test must run from a source checkout.");
    }
}

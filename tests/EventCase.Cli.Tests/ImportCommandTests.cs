using EventCase.Testing;

namespace EventCase.Cli.Tests;

public sealed class ImportCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static string RepositoryFile(params string[] parts)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EventCase.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine([directory!.FullName, .. parts]);
    }

    [Fact]
    public async Task Importing_a_sample_twice_imports_it_once_and_reports_its_counts()
    {
        var source = RepositoryFile("..", "shared", "data", "311", "la_myla311_2018_sample.csv");
        Assert.SkipUnless(File.Exists(source), "the shared 311 data is not beside the repository");
        var report = Path.Combine(Path.GetTempPath(), $"la-rejects-{Guid.NewGuid():N}.csv");
        try
        {
            var (exit, output, error) = await CliRunner.RunAsync(
                "import", source, "--mapping", RepositoryFile("mappings", "la_myla311_2018_sample.json"), "--tenant", "la",
                "--max-rows", "400", "--rejects", report, "--connection", database.ConnectionString);
            Assert.True(exit == 0, error);
            Assert.Contains("400", output, StringComparison.Ordinal);
            Assert.Contains("events/s", output, StringComparison.Ordinal);

            var (again, secondOutput, secondError) = await CliRunner.RunAsync(
                "import", source, "--mapping", RepositoryFile("mappings", "la_myla311_2018_sample.json"), "--tenant", "la",
                "--max-rows", "400", "--rejects", report, "--no-rebuild", "--connection", database.ConnectionString);
            Assert.True(again == 0, secondError);
            var counts = secondOutput.Split('\n').First(line => line.Contains("│ 400", StringComparison.Ordinal));
            var cells = counts.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("400", cells[0]);
            Assert.Equal("0", cells[1]);
            Assert.Equal("0", cells[5]);
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task A_missing_mapping_file_is_one_clear_line()
    {
        var (exit, _, error) = await CliRunner.RunAsync("import", RepositoryFile("EventCase.sln"), "--mapping", "/nonexistent/mapping.json", "--tenant", "la");

        Assert.Equal(2, exit);
        Assert.Contains("--mapping: /nonexistent/mapping.json does not exist.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_file_is_one_clear_line_and_nothing_is_imported()
    {
        var empty = Path.Combine(Path.GetTempPath(), $"empty-{Guid.NewGuid():N}.csv");
        await File.WriteAllBytesAsync(empty, [], TestContext.Current.CancellationToken);
        try
        {
            var (exit, _, error) = await CliRunner.RunAsync(
                "import", empty, "--mapping", RepositoryFile("mappings", "boston_311_2015.json"), "--tenant", "boston",
                "--rejects", empty + ".rejects.csv", "--connection", database.ConnectionString);

            Assert.Equal(1, exit);
            Assert.Equal($"error: Invalid import file: {Path.GetFileName(empty)} is empty; a CSV export starts with a header line naming its columns.", error.Trim());
        }
        finally
        {
            File.Delete(empty);
        }
    }
}

using EventCase.Cases;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using NodaTime;

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

    [Fact]
    public async Task A_failed_import_shows_what_it_committed_and_says_in_one_line_which_rows_failed()
    {
        var source = RepositoryFile("..", "shared", "data", "311", "la_myla311_2018_sample.csv");
        Assert.SkipUnless(File.Exists(source), "the shared 311 data is not beside the repository");
        var report = Path.Combine(Path.GetTempPath(), $"la-rejects-{Guid.NewGuid():N}.csv");

        // Someone else's stream where the case of line 2 (1-870704814) would go: the first batch fails.
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        var taken = new CaseId("la311-1-870704814");
        await store.AppendToStreamAsync(CaseStreams.For(new AgencyId("la-failing"), taken), CaseStreams.StreamType, ExpectedVersion.NoStream,
            [new NewEvent(Guid.NewGuid(), new CaseCancelled(taken, "written by another writer", Instant.FromUtc(2026, 1, 1, 0, 0)), EventMetadata.System())],
            TestContext.Current.CancellationToken);
        try
        {
            var (exit, output, error) = await CliRunner.RunAsync(
                "import", source, "--mapping", RepositoryFile("mappings", "la_myla311_2018_sample.json"), "--tenant", "la-failing",
                "--max-rows", "50", "--batch-size", "10", "--rejects", report, "--no-rebuild", "--connection", database.ConnectionString);

            Assert.Equal(1, exit);
            Assert.Contains("events written", output, StringComparison.Ordinal);
            Assert.StartsWith("error: The import of la_myla311_2018_sample.csv stopped at batch 1 (10 cases, rows on lines 2–", error, StringComparison.Ordinal);
            Assert.Contains("la311-1-870704814", error, StringComparison.Ordinal);
            Assert.Contains("Done before it stopped: ", error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(report);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using EventCase.Cases;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.ReadModels;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Import.Running;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cli.Tests;

public sealed class ImportCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Directory.CreateTempSubdirectory("eventcase-import-cli-").FullName;

    /// <summary>Three rows of Boston's 2015 311 export, the columns its mapping reads.</summary>
    private const string BostonRows =
        """
        source_row_index,CASE_ENQUIRY_ID,OPEN_DT,TARGET_DT,CLOSED_DT,OnTime_Status,CASE_STATUS,CLOSURE_REASON,CASE_TITLE,SUBJECT,REASON,TYPE,QUEUE,Department,SubmittedPhoto,ClosedPhoto,Location,fire_district,pwd_district,city_council_district,police_district,neighborhood,neighborhood_services_district,ward,precinct,land_usage,LOCATION_STREET_NAME,LOCATION_ZIPCODE,Property_Type,Property_ID,LATITUDE,LONGITUDE,Source,Geocoded_Location
        470600,101001242404,01/05/2015 12:40:41 PM,,01/06/2015 01:46:56 PM,ONTIME,Closed,Case Closed,Abandoned Bicycle,Mayor's 24 Hour Hotline,Abandoned Bicycle,Abandoned Bicycle,BTDT_District 06,BTDT,,,29 Hereford St  Boston  MA  02115,4.0,1C,8.0,D4,Back Bay,14.0,Ward 5,509.0,R1,29 Hereford St,2115.0,Address,72999.0,42.3504,-71.0867,City Worker App,"(42.3504, -71.0867)"
        470601,101001242405,01/05/2015 12:40:42 PM,,01/06/2015 01:45:47 PM,ONTIME,Closed,Case Closed,Abandoned Bicycle,Mayor's 24 Hour Hotline,Abandoned Bicycle,Abandoned Bicycle,BTDT_District 06,BTDT,,,29 Hereford St  Boston  MA  02115,4.0,1C,8.0,D4,Back Bay,14.0,Ward 5,509.0,R1,29 Hereford St,2115.0,Address,72999.0,42.3504,-71.0867,City Worker App,"(42.3504, -71.0867)"
        470700,101001242542,01/05/2015 03:01:42 PM,,04/29/2015 08:15:41 AM,ONTIME,Closed,Case Closed,Abandoned Bicycle,Mayor's 24 Hour Hotline,Abandoned Bicycle,Abandoned Bicycle,BTDT_Abandoned Bicycle,BTDT,,,163-177 Allston St  Allston  MA  02134,11.0,04,9.0,D14,Allston / Brighton,15.0,Ward 21,2109.0,C,163-177 Allston St,2134.0,Address,2355.0,42.348,-71.1382,Constituent Call,"(42.348, -71.1382)"

        """;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path, content, Ct);
        return path;
    }

    /// <summary>The Boston mapping with <paramref name="replace"/> replaced by <paramref name="with"/>.</summary>
    private async Task<string> BostonMappingAsync(string replace = "", string with = "")
    {
        var mapping = await File.ReadAllTextAsync(RepositoryFile("mappings", "boston_311_2015.json"), Ct);
        Assert.Contains(replace, mapping, StringComparison.Ordinal);
        return await WriteAsync("mapping.json", replace.Length == 0 ? mapping : mapping.Replace(replace, with, StringComparison.Ordinal));
    }

    private static string RepositoryFile(params string[] parts) => RepositoryFiles.Path(parts);

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
    public async Task A_file_name_with_markup_characters_imports_in_a_terminal_like_any_other()
    {
        // Spectre renders progress descriptions as markup on its refresh thread, and only in a terminal: an unescaped
        // '[' in the file name threw there, where nothing catches, and aborted the process (exit code 134). So this
        // runs the tool as a process in a pseudo-terminal, as a user would.
        Assert.SkipUnless(File.Exists("/usr/bin/script"), "needs script(1) for a pseudo-terminal");
        var source = await WriteAsync("z[1].csv", BostonRows);
        var mappingFile = await BostonMappingAsync();
        var cli = Path.Combine(AppContext.BaseDirectory, "eventcase.dll");
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", $"dotnet '{cli}' import '{source}' --mapping '{mappingFile}' --tenant t13 --connection '{database.ConnectionString}'", "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["TERM"] = "xterm" },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await output}{error}");
        Assert.DoesNotContain("Unhandled exception", await output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"service\": \"TYPE\"", "\"service\": \"NoSuchColumn\"", "does not fit rows.csv: Invalid import mapping: service column 'NoSuchColumn' is not in the file's header")]
    [InlineData("\"MM/dd/yyyy hh:mm:ss tt\"", "\"yyyy-MM-dd X{\"", "Invalid import mapping: timestampFormats")]
    [InlineData("\"source\": \"boston-311\",", "", "--mapping mapping.json: Invalid import mapping: the mapping is not valid JSON for an import mapping: JSON deserialization for type 'EventCase.Import.Mapping.ImportMapping' was missing required properties including: 'source'.")]
    public async Task A_mapping_that_cannot_be_used_for_the_file_is_one_line_and_a_bad_argument(string replace, string with, string expected)
    {
        var source = await WriteAsync("rows.csv", BostonRows);

        var (exit, _, error) = await CliRunner.RunAsync(
            "import", source, "--mapping", await BostonMappingAsync(replace, with), "--tenant", "boston", "--connection", database.ConnectionString);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_directory_given_as_the_file_or_the_mapping_is_called_a_directory()
    {
        var source = await WriteAsync("rows.csv", BostonRows);

        var (fileExit, _, fileError) = await CliRunner.RunAsync("import", _directory, "--mapping", await BostonMappingAsync(), "--tenant", "boston");
        var (mappingExit, _, mappingError) = await CliRunner.RunAsync("import", source, "--mapping", _directory, "--tenant", "boston");

        Assert.Equal(2, fileExit);
        Assert.Contains($"{_directory} is a directory, not a file.", fileError, StringComparison.Ordinal);
        Assert.Equal(2, mappingExit);
        Assert.Contains($"--mapping: {_directory} is a directory, not a file.", mappingError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-rows must be 1 or more.", "--max-rows", "-1")]
    [InlineData("--max-rows must be 1 or more.", "--max-rows", "0")]
    [InlineData("--tenant 'bad agency' is not an agency id", "--tenant", "bad agency")]
    [InlineData("--rejects: /nonexistent/r.csv cannot be written: the directory /nonexistent does not exist.", "--rejects", "/nonexistent/r.csv")]
    public async Task Bad_import_arguments_are_one_line_and_exit_code_two(string expected, string option, string value)
    {
        var source = await WriteAsync("rows.csv", BostonRows);
        string[] tenant = option == "--tenant" ? [] : ["--tenant", "boston"];

        var (exit, _, error) = await CliRunner.RunAsync(["import", source, "--mapping", await BostonMappingAsync(), .. tenant, option, value]);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_rejects_report_that_cannot_be_written_is_a_bad_argument_naming_rejects_before_anything_is_done(bool named)
    {
        // The shared exports are on a read-only share: the default report beside the file, or one named there, failed
        // once the rows started, after the schema was made, exit code 1, with a line about how far the import got.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        var readOnly = Directory.CreateDirectory(Path.Combine(_directory, "read-only")).FullName;
        var source = Path.Combine(readOnly, "rows.csv");
        await File.WriteAllTextAsync(source, BostonRows, Ct);
        var mapping = await BostonMappingAsync();
        using var locked = UnwritableDirectory.Lock(readOnly);
        var report = Path.Combine(readOnly, named ? "rejects.csv" : "rows.csv.rejects.csv");
        string[] rejects = named ? ["--rejects", report] : [];

        var (exit, output, error) = await CliRunner.RunAsync(
            ["import", source, "--mapping", mapping, "--tenant", "boston", .. rejects, "--schema", "never_made", "--connection", database.ConnectionString]);

        Assert.Equal((2, ""), (exit, output));
        Assert.StartsWith(
            named ? $"error: --rejects: {report} cannot be written: " : $"error: the rejects report goes beside the file by default, and {report} cannot be written: ",
            error,
            StringComparison.Ordinal);
        Assert.Contains(named ? "(see `eventcase import --help`)" : "name a file to write it to with --rejects FILE.", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await using var schema = database.DataSource.CreateCommand("SELECT count(*) FROM pg_namespace WHERE nspname = 'never_made'");
        Assert.Equal(0L, await schema.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task A_rejects_report_naming_the_file_being_imported_or_the_mapping_is_a_bad_argument_and_leaves_both_as_they_were()
    {
        // The report is written from scratch: it overwrote the export while the import read it (which then ended early
        // and said it was done), or the mapping.
        var source = await WriteAsync("rows.csv", BostonRows);
        var mapping = await BostonMappingAsync();
        var mappingText = await File.ReadAllTextAsync(mapping, Ct);
        var link = Path.Combine(_directory, "link-to-rows.csv");
        File.CreateSymbolicLink(link, source);

        foreach (var (report, named) in new[] { (source, "the file being imported"), (link, "the file being imported"), (mapping, "the mapping file") })
        {
            var (exit, _, error) = await CliRunner.RunAsync(
                "import", source, "--mapping", mapping, "--tenant", "boston", "--rejects", report, "--no-rebuild", "--connection", database.ConnectionString);

            Assert.Equal(2, exit);
            Assert.Contains($"--rejects {report} is {named}: the report would overwrite it", error, StringComparison.Ordinal);
        }

        Assert.Equal(BostonRows, await File.ReadAllTextAsync(source, Ct));
        Assert.Equal(mappingText, await File.ReadAllTextAsync(mapping, Ct));
    }

    [Theory]
    [InlineData("initdb", null)]
    [InlineData("pg_ctl start", null)]
    [InlineData("postgres -p", "pg_ctl start")]
    [InlineData("pg_ctl stop", null)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Ctrl_c_while_the_embedded_database_is_created_started_or_stopped_exits_130_and_leaves_no_server_running(string program, string? once)
    {
        // Ctrl-C in a terminal signals the whole foreground process group: the tool, and the initdb or pg_ctl it runs
        // for the embedded PostgreSQL, which then failed with their own exit code 130 ("PostgreSQL did not start",
        // "did not stop", or a permission check taken for a directory it cannot write): exit 1. So the tool runs as a
        // process group of its own here, signalled as a terminal does once that program runs for its data directory
        // and, when `once` is given, that one no longer does ("postgres -p" once "pg_ctl start" has
        // returned: the server runs, and the tool is connecting to it).
        Assert.SkipUnless(File.Exists("/usr/bin/setsid"), "needs setsid(1) for a process group of its own");
        var dataDirectory = Directory.CreateTempSubdirectory("eventcase-cli-ctrl-c-").FullName;
        File.SetUnixFileMode(dataDirectory, (UnixFileMode)0b111_101_101);
        var cluster = Path.Combine(dataDirectory, "postgres");
        var source = await WriteAsync("ctrl-c.csv", BostonRows);
        string[] args = ["import", source, "--mapping", await BostonMappingAsync(), "--tenant", "ctrl-c", "--rejects", Path.Combine(_directory, "ctrl-c-rejects.csv"), "--no-rebuild", "--data-dir", cluster];
        try
        {
            if (program != "initdb")
            {
                var (created, _, createdError) = await RunInProcessGroupAsync(args, null, null, cluster);
                Assert.True(created == 0, createdError);
            }

            var (exit, output, error) = await RunInProcessGroupAsync(args, program, once, cluster);

            Assert.True(exit == 130, $"exit code {exit}: {error}");
            Assert.Matches(@"^(The import of ctrl-c.csv was cancelled .*\n)?cancelled\n$|^The import of ctrl-c.csv was cancelled .*\n$", error);
            Assert.False(await ServerStillRunningAsync(cluster), $"a server still runs from {cluster}: {output}{error}");
        }
        finally
        {
            await using (var postgres = new EventCase.EventStore.Embedded.EmbeddedPostgres(EventCase.EventStore.Embedded.EmbeddedPostgresOptions.Persistent(cluster)))
            {
                await postgres.StopAsync(CancellationToken.None);
            }

            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>
    /// Runs the built tool as the leader of a process group of its own and, once a process running
    /// <paramref name="interruptWhenRunning"/> (such as "pg_ctl start") on <paramref name="cluster"/> appears, and none
    /// running <paramref name="once"/> does any longer, signals the group with SIGINT, as Ctrl-C in a terminal does.
    /// </summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunInProcessGroupAsync(string[] args, string? interruptWhenRunning, string? once, string cluster)
    {
        var start = new ProcessStartInfo("/usr/bin/setsid", ["dotnet", Path.Combine(AppContext.BaseDirectory, "eventcase.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        if (interruptWhenRunning is not null)
        {
            var words = interruptWhenRunning.Split(' ');
            var gone = once?.Split(' ');
            while (!process.HasExited && !(ClusterProcesses.IsRunning(words, cluster) && (gone is null || !ClusterProcesses.IsRunning(gone, cluster))))
            {
                await Task.Delay(2, Ct);
            }

            // setsid(1) started by a process that is no group leader execs the tool itself: its id is the group's.
            using var kill = Process.Start("kill", ["-INT", "--", $"-{process.Id}"])!;
            await kill.WaitForExitAsync(Ct);
        }

        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Whether a server runs from <paramref name="cluster"/> once a fast shutdown under way has had time to end.</summary>
    private static async Task<bool> ServerStillRunningAsync(string cluster)
    {
        await using var postgres = new EventCase.EventStore.Embedded.EmbeddedPostgres(EventCase.EventStore.Embedded.EmbeddedPostgresOptions.Persistent(cluster));
        for (var waited = 0; postgres.GetStatus().IsRunning; waited++)
        {
            if (waited == 50)
            {
                return true;
            }

            await Task.Delay(100, Ct);
        }

        return false;
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(1_000, 0, 1_000, 0)]
    [InlineData(1_000, 500, 1_000, 0.5)]
    [InlineData(800, 400, 960, 0.48)]
    [InlineData(23_788, 23_788, 1_000, 1)]
    public void The_import_progress_bar_counts_the_rows_committed_as_its_text_does_not_the_bytes_the_parser_read_ahead(long rowsRead, long rowsCommitted, long bytesRead, double shown)
    {
        // Out of 1,000 bytes. The bar showed bytes read: 96% and no time left beside 19,003 rows committed of 23,788.
        var progress = new ImportProgress(rowsRead, rowsCommitted, rowsCommitted * 4, bytesRead, 1_000, NodaTime.Duration.FromSeconds(1));

        Assert.Equal(shown, Import.ImportCommand.CommittedFraction(progress), 6);
    }

    [Fact]
    public async Task An_import_whose_every_row_is_rejected_says_that_nothing_was_imported()
    {
        // Exit code 0, as docs/import.md says of a finished import; only the table's zeros said that nothing came in.
        var source = await WriteAsync("all-rejected.csv", BostonRows.Replace("01/05/2015", "yesterday", StringComparison.Ordinal));
        var report = Path.Combine(_directory, "all-rejected-report.csv");

        var (exit, output, error) = await CliRunner.RunAsync(
            "import", source, "--mapping", await BostonMappingAsync(), "--tenant", "boston-none", "--rejects", report, "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Contains("nothing was imported: every one of the 3 rows read was rejected (the rejects report says why).", output, StringComparison.Ordinal);
        Assert.Contains("rejected (unparseable-created): 3", output, StringComparison.Ordinal);
        Assert.Contains($"rejects report: {report}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_import_that_only_flags_rows_says_where_its_report_lists_them()
    {
        // The third row stands at City Hall, Boston's "no geocode" point: imported and flagged, listed in the report.
        var source = await WriteAsync("rows.csv", BostonRows.Replace("42.348,-71.1382", "42.3594,-71.0587", StringComparison.Ordinal));
        var report = Path.Combine(_directory, "flags.csv");

        var (exit, output, error) = await CliRunner.RunAsync(
            "import", source, "--mapping", await BostonMappingAsync(), "--tenant", "boston-flags", "--rejects", report, "--no-rebuild",
            "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Contains("flagged (placeholder-coordinates): 1", output, StringComparison.Ordinal);
        Assert.Contains($"rejects report: {report}", output, StringComparison.Ordinal);
        Assert.Contains(",flagged,placeholder-coordinates,", await File.ReadAllTextAsync(report, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_import_told_not_to_rebuild_says_that_the_read_models_lack_its_cases_and_names_them()
    {
        var source = Path.Combine(_directory, "no-rebuild.csv");
        await File.WriteAllTextAsync(source, BostonRows, Ct);
        // A store the service has run on: its projections are registered.
        await new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: [new CaseNumberLookupProjection()]).MigrateAsync(Ct);

        var (exit, output, error) = await CliRunner.RunAsync(
            "import", source, "--mapping", await BostonMappingAsync(), "--tenant", "boston-no-rebuild", "--no-rebuild", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Contains("not rebuilt (--no-rebuild): the read models lack the imported cases until `eventcase projections rebuild` of each of", output, StringComparison.Ordinal);
        Assert.Contains("case_numbers", output, StringComparison.Ordinal);
        Assert.DoesNotContain("rebuild requested", output, StringComparison.Ordinal);
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
    public async Task A_cancelled_import_shows_what_it_committed_says_in_one_line_that_running_it_again_resumes_and_exits_130()
    {
        var source = RepositoryFile("..", "shared", "data", "311", "boston_311_2015.csv");
        Assert.SkipUnless(File.Exists(source), "the shared 311 data is not beside the repository");
        var tenant = "boston-cancelled";
        var report = Path.Combine(_directory, "rejects.csv");
        string[] import = ["import", source, "--mapping", RepositoryFile("mappings", "boston_311_2015.json"), "--tenant", tenant,
            "--max-rows", "20000", "--rejects", report, "--no-rebuild", "--connection", database.ConnectionString];

        await new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer()).MigrateAsync(Ct);

        // Ctrl-C, as Program.cs turns it into the token, once the first batches have committed.
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = CliRunner.RunAsync(ctrlC.Token, [.. import, "--batch-size", "10"]);
        while (!run.IsCompleted && await EventCountAsync(tenant) == 0)
        {
            await Task.Delay(20, Ct);
        }

        await ctrlC.CancelAsync();
        var (exit, output, error) = await run;

        Assert.True(exit == 130, $"exit code {exit}: {error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("The import of boston_311_2015.csv was cancelled after line ", line, StringComparison.Ordinal);
        Assert.EndsWith("Running the same import again resumes: what was committed counts as already imported.", line, StringComparison.Ordinal);
        var committed = long.Parse(
            System.Text.RegularExpressions.Regex.Match(line, @": ([\d,]+) cases were committed \(").Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(committed, 1, 19_999);
        var table = SummaryRow(output);
        Assert.Equal(committed, table[1] + table[2] + table[5]);
        Assert.Equal(await EventCountAsync(tenant), table[7]);

        // Running the same import again (the batch size is no part of it) resumes: the committed cases are already imported.
        var (again, againOutput, againError) = await CliRunner.RunAsync(import);

        Assert.True(again == 0, againError);
        var resumed = SummaryRow(againOutput);
        Assert.Equal((20_000L, committed, 0L, 0L), (resumed[0], resumed[4], resumed[5], resumed[6]));
        Assert.Equal(await EventCountAsync(tenant), table[7] + resumed[7]);
    }

    /// <summary>The figures of the import's summary table: rows read, imported, flagged, rejected, already imported,
    /// updated, changed since, events written.</summary>
    private static long[] SummaryRow(string output)
    {
        var row = output.Split('\n').Where(l => l.TrimStart().StartsWith('│')).ElementAt(1);
        return [.. row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Take(8)
            .Select(cell => long.Parse(cell, NumberStyles.AllowThousands, CultureInfo.InvariantCulture))];
    }

    [Fact]
    public async Task A_cancelled_import_requests_the_rebuilds_that_bring_what_it_committed_into_the_read_models()
    {
        var source = RepositoryFile("..", "shared", "data", "311", "boston_311_2015.csv");
        Assert.SkipUnless(File.Exists(source), "the shared 311 data is not beside the repository");
        var tenant = "boston-cancelled-rebuilt";
        await new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CliSession.Calendars)).MigrateAsync(Ct);
        await using (var clear = database.DataSource.CreateCommand("UPDATE eventcase.projections SET rebuild_requested_at = NULL"))
        {
            await clear.ExecuteNonQueryAsync(Ct);
        }

        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = CliRunner.RunAsync(ctrlC.Token,
            ["import", source, "--mapping", RepositoryFile("mappings", "boston_311_2015.json"), "--tenant", tenant, "--max-rows", "20000",
             "--batch-size", "10", "--rejects", Path.Combine(_directory, "cancelled-rejects.csv"), "--connection", database.ConnectionString]);
        while (!run.IsCompleted && await EventCountAsync(tenant) == 0)
        {
            await Task.Delay(20, Ct);
        }

        await ctrlC.CancelAsync();
        var (exit, output, error) = await run;

        // The committed cases are in the log; a re-run that finds them all imported writes nothing and so requested
        // nothing: without the request now they stayed out of every read model.
        Assert.True(exit == 130, $"exit code {exit}: {error}");
        Assert.True(await EventCountAsync(tenant) > 0);
        await using var requested = database.DataSource.CreateCommand("SELECT count(*) FILTER (WHERE rebuild_requested_at IS NULL), count(*) FROM eventcase.projections");
        await using var reader = await requested.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        var (notRequested, projections) = (reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal((0L, (long)BuiltInProjections.Create(CliSession.Calendars).Count), (notRequested, projections));
        Assert.Contains($"rebuild requested for {projections} projections", output, StringComparison.Ordinal);
    }

    private async Task<long> EventCountAsync(string tenant)
    {
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM eventcase.events WHERE tenant_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = tenant });
        return (long)(await command.ExecuteScalarAsync(Ct))!;
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

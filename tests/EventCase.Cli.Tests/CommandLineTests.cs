using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Catalog;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.Schema;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.Testing;
using NodaTime;
using NodaTime.Text;
using Spectre.Console;

namespace EventCase.Cli.Tests;

public sealed class CommandLineTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Instant T0 = Instant.FromUtc(2026, 3, 2, 14, 0);

    public static TheoryData<string> Commands => new() { "", "db", "db start", "db stop", "db status", "replay", "projections", "projections status", "projections rebuild", "projections rebuild-case", "projections check", "audit", "audit verify", "audit checkpoint", "audit export", "audit keygen", "import", "serve", "report", "report transparency", "adopt-restored-log" };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_help(string command)
    {
        var (exit, output, _) = await CliRunner.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains("Description:", output, StringComparison.Ordinal);
    }

    public static TheoryData<string> LeafCommands => new() { "serve", "db start", "db stop", "db status", "replay", "projections status", "projections rebuild", "projections rebuild-case", "projections check", "audit verify", "audit checkpoint", "audit export", "audit verify-export", "audit keygen", "import", "report transparency", "adopt-restored-log" };

    [Theory]
    [MemberData(nameof(LeafCommands))]
    public async Task Every_commands_help_ends_with_examples_of_it_that_the_command_line_understands(string command)
    {
        var (exit, output, _) = await CliRunner.RunAsync([.. command.Split(' '), "--help"]);

        Assert.Equal(0, exit);
        var examples = output[(output.IndexOf("Examples:", StringComparison.Ordinal) is var at and >= 0 ? at : throw new Xunit.Sdk.XunitException($"no examples in the help of {command}:\n{output}"))..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1)
            .ToList();
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            Assert.StartsWith($"eventcase {command} ", example + " ", StringComparison.Ordinal);

            // Every option and argument in it is one the command takes (files it names need not exist here).
            var parsed = EventCaseCli.Build(AnsiConsole.Console).Parse(example["eventcase ".Length..]);
            Assert.All(parsed.Errors, e => Assert.Contains("does not exist", e.Message, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("db")]
    [InlineData("db start")]
    [InlineData("db stop")]
    [InlineData("db status")]
    public async Task The_db_commands_help_lists_only_the_options_they_take_not_connection_or_schema_which_they_refuse(string command)
    {
        var (exit, output, _) = await CliRunner.RunAsync([.. command.Split(' '), "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("--data-dir <data-dir>", output, StringComparison.Ordinal);
        Assert.Contains("--verbose", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--connection", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--schema", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("replay")]
    [InlineData("audit verify")]
    [InlineData("import")]
    public async Task The_other_commands_help_still_lists_connection_and_schema_also_after_a_db_commands_help(string command)
    {
        await CliRunner.RunAsync("db", "start", "--help");

        var (exit, output, _) = await CliRunner.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("--connection <connection>", output, StringComparison.Ordinal);
        Assert.Contains("--schema <schema>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error: Option '--agency' is required.", "replay", "case-1")]
    [InlineData("--version and --at cannot be combined", "replay", "case-1", "--agency", "boston", "--version", "2", "--at", "2026-01-01T00:00:00Z")]
    [InlineData("is not an ISO-8601 instant", "replay", "case-1", "--agency", "boston", "--at", "yesterday")]
    [InlineData("Unrecognized command or argument 'frobnicate'", "frobnicate")]
    [InlineData("--version 'abc' is not a whole number.", "replay", "x", "--agency", "a", "--version", "abc")]
    [InlineData("--agency 'bad agency' is not an agency id: 1–64 letters, digits, '-', '_' or '.'.", "replay", "x", "--agency", "bad agency")]
    [InlineData("--connection is not a PostgreSQL connection string", "replay", "x", "--agency", "boston", "--connection", "garbage")]
    [InlineData("--schema 'Bad-Schema' must be a lower-case SQL identifier", "replay", "x", "--agency", "boston", "--schema", "Bad-Schema")]
    [InlineData("--timeout needs --wait", "projections", "rebuild", "case_numbers", "--timeout", "5")]
    [InlineData("--sample and --all cannot be combined", "projections", "check", "--agency", "boston", "--sample", "5", "--all")]
    [InlineData("--sample must be 1 to 1,000,000", "projections", "check", "--agency", "boston", "--sample", "0")]
    [InlineData("error: Option '--agency' is required.", "projections", "check")]
    public async Task Bad_arguments_are_one_clear_line_and_a_non_zero_exit(string expected, params string[] args)
    {
        var (exit, output, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("--version 'two' is not a whole number.", "replay", "x", "--agency", "a", "--version", "two")]
    [InlineData("--version '99999999999999999999' is too large.", "replay", "x", "--agency", "a", "--version", "99999999999999999999")]
    [InlineData("--sample '1.5' is not a whole number.", "projections", "check", "--agency", "a", "--sample", "1.5")]
    [InlineData("--sample '3000000000' is too large.", "projections", "check", "--agency", "a", "--sample", "3000000000")]
    [InlineData("--timeout '5s' is not a whole number.", "projections", "rebuild", "case_numbers", "--wait", "--timeout", "5s")]
    public async Task A_number_option_given_something_else_says_so_in_words_without_naming_a_dotnet_type(string expected, params string[] args)
    {
        var (exit, output, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("error: " + expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_unparsable_number_for_an_option_with_its_own_check_is_a_clear_error_not_a_crash()
    {
        var csv = Path.GetTempFileName();
        var mapping = Path.GetTempFileName();
        try
        {
            var (exit, output, error) = await CliRunner.RunAsync("import", csv, "--tenant", "t", "--mapping", mapping, "--batch-size", "abc");

            Assert.Equal(2, exit);
            Assert.Empty(output);
            Assert.Contains("--batch-size 'abc' is not a whole number.", error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(csv);
            File.Delete(mapping);
        }
    }

    private async Task<(AgencyId Agency, CaseId Case, CaseNumber Number)> OpenScriptedCaseAsync(string escalationReason = "near a school")
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: [new CaseNumberLookupProjection()]);
        await store.MigrateAsync(Ct);
        await CasesSchema.MigrateAsync(database.DataSource, cancellationToken: Ct);
        var handler = new CaseCommandHandler(store, new PostgresCaseNumberAllocator(database.DataSource));
        var agency = new AgencyId("boston");
        var caseId = new CaseId("case-" + Guid.NewGuid().ToString("N"));
        var context = new CommandContext(agency, "agent-7", "agent", "corr-1", "phone", "citizen called");
        var service = new ServiceDefinition(new ServiceCode("pothole"), "Pothole", "Potholes in the road", agency, CasePriority.Normal, SlaTarget.BusinessHours(16), []);
        CaseNumber? number = null;
        var opened = await handler.OpenCaseAsync(context, caseId, new CaseNumberSeries(agency, "BOS", 2026), n =>
        {
            number = n;
            return new OpenCase(caseId, n, agency, new CatalogEntry(service), "Deep pothole", null, null, Channel.Phone, new Dictionary<string, IReadOnlyList<string>>(), T0);
        }, Ct);
        Assert.IsType<CaseCommandResult.Accepted>(opened);
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(new AssignCase(caseId, new Assignment(new TeamId("streets")), T0 + Duration.FromHours(1)), context, Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(new EscalateCase(caseId, 2, escalationReason, T0 + Duration.FromHours(2)), context, Ct));
        return (agency, caseId, number!);
    }

    [Fact]
    public async Task Replay_shows_each_step_with_what_it_changed_and_the_final_state()
    {
        var (_, caseId, number) = await OpenScriptedCaseAsync();

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Contains("case.opened.v1", output, StringComparison.Ordinal);
        Assert.Contains("escalationLevel: 0 → 2", output, StringComparison.Ordinal);
        Assert.Contains("agent-7 (agent)", output, StringComparison.Ordinal);
        Assert.Contains(number.Value, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_shows_why_as_the_reason_the_event_carries_before_the_one_given_with_the_command()
    {
        // The escalation carries its own reason ("near a school", what the agent typed); the command's context one
        // ("citizen called") is the only reason the other steps have. The service records reasons only in the events.
        var (_, caseId, _) = await OpenScriptedCaseAsync();

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--json", "--connection", database.ConnectionString);
        var (tableExit, table, tableError) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(
            ["citizen called", "citizen called", "near a school"],
            json.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("reason").GetString()));
        Assert.True(tableExit == 0, tableError);
        Assert.Contains("near a school", table.Split('\n').Single(l => l.Contains("case.escalated.v1", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_shows_what_a_note_and_a_contact_said_whole_in_json_and_on_one_shortened_line_in_the_table()
    {
        // A note changes no field of the case: its step showed "note.added" with nothing changed, and an auditor
        // replaying the case learnt that a note was written but not what it said.
        var (agency, caseId, _) = await OpenScriptedCaseAsync();
        var handler = new CaseCommandHandler(new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer()), new PostgresCaseNumberAllocator(database.DataSource));
        var context = new CommandContext(agency, "agent-7", "agent", "corr-2", "phone", null);
        var note = "Crew found the hole\nfilled by a neighbour; " + new string('x', 300) + " END";
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, note, T0 + Duration.FromHours(3)), context, Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(new RecordContact(caseId, ContactDirection.Outbound, Channel.Phone, "Told the citizen it is fixed", T0 + Duration.FromHours(4)), context, Ct));

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--json", "--connection", database.ConnectionString);
        var tableOutput = new StringWriter();
        var tableExit = await EventCaseCli.RunAsync(["replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString], EventCaseCli.CreateRedirectedConsole(tableOutput), new StringWriter(), Ct);
        var table = tableOutput.ToString();

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var texts = json.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("text").GetString()).ToList();
        Assert.Equal([null, null, null, "internal note: " + note, "outbound phone: Told the citizen it is fixed"], texts);
        Assert.Equal(0, tableExit);
        var noteLine = Assert.Single(table.Split('\n'), l => l.Contains("internal note: Crew found the hole filled by a neighbour; xxx", StringComparison.Ordinal));
        Assert.Contains("x…", noteLine, StringComparison.Ordinal);
        Assert.DoesNotContain("END", noteLine, StringComparison.Ordinal);
        Assert.Contains("outbound phone: Told the citizen it is fixed", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_as_json_is_json_whatever_the_consoles_width_and_however_long_a_reason()
    {
        // The console (200 columns here, a terminal's width in use) wrapped the JSON it wrote, inside its strings.
        var reason = "The pothole is next to the school gate and " + string.Join(' ', Enumerable.Repeat("children cross there every morning", 12));
        var (_, caseId, _) = await OpenScriptedCaseAsync(reason);

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--json", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(reason, json.RootElement.GetProperty("steps")[2].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Replaying_a_case_with_an_event_this_build_cannot_read_and_an_intact_chain_names_it_with_exit_code_one()
    {
        // Written by a newer build, say: not tampering. Replay names the event by version, type and log position.
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        var newer = new PostgresEventStore(database.DataSource, new EventCase.EventStore.Serialization.EventSerializer(CaseEvents.CreateRegistry().Register<EventOfANewerBuild>()));
        await newer.AppendToStreamAsync(CaseStreams.For(new AgencyId("boston"), caseId), CaseStreams.StreamType, ExpectedVersion.Any,
            [new NewEvent(Guid.NewGuid(), new EventOfANewerBuild("later"), new EventCase.EventStore.Metadata.EventMetadata("agent-7", "agent"))], Ct);

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.True(exit == 1, $"exit code {exit}: {error}");
        Assert.Empty(output);
        Assert.StartsWith($"error: event version 4 of boston/{caseId.Value} (test.newer-build.v1, log position ", error, StringComparison.Ordinal);
        Assert.Contains("its hash chain is intact, so it was stored like this", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [EventCase.EventStore.Serialization.EventType("test.newer-build.v1")]
    private sealed record EventOfANewerBuild(string What);

    [Fact]
    public async Task Replaying_a_case_whose_every_event_was_deleted_its_stream_row_left_calls_it_altered_with_exit_code_three()
    {
        // The service's history calls it altered (decision 0026); replay said there was no such case, exit 1.
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        await TamperAsync($"DELETE FROM eventcase.events WHERE tenant_id = 'boston' AND stream_id = '{caseId.Value}'");

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.True(exit == 3, $"exit code {exit}: {error}");
        Assert.Empty(output);
        Assert.Contains($"boston/{caseId.Value} was altered after it was written", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Replay_by_case_number_at_a_version_prints_the_state_at_that_version_as_json()
    {
        var (_, _, number) = await OpenScriptedCaseAsync();

        var (exit, output, error) = await CliRunner.RunAsync("replay", number.Value, "--agency", "boston", "--version", "2", "--json", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("steps").GetArrayLength());
        Assert.Equal("Assigned", json.RootElement.GetProperty("state").GetProperty("status").GetString());
        Assert.Equal("0", json.RootElement.GetProperty("state").GetProperty("escalationLevel").GetString());
    }

    [Fact]
    public async Task Replay_at_an_instant_with_an_offset_stops_on_the_cases_own_timeline_and_shows_when_each_step_happened_and_was_recorded()
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        // T0 + 1 h 30 min, written in Boston's offset: after the assignment (T0 + 1 h), before the escalation (T0 + 2 h).
        var at = OffsetDateTimePattern.ExtendedIso.Format((T0 + Duration.FromMinutes(90)).WithOffset(Offset.FromHours(-5)));

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--at", at, "--json", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var steps = json.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(2, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(
            [InstantPattern.ExtendedIso.Format(T0), InstantPattern.ExtendedIso.Format(T0 + Duration.FromHours(1))],
            steps.Select(s => s.GetProperty("at").GetString()));
        // Recorded now, years after T0 would be for imported history: the other clock, shown beside it.
        Assert.All(steps, s => Assert.True(
            InstantPattern.ExtendedIso.Parse(s.GetProperty("recordedAt").GetString()!).Value > T0 + Duration.FromHours(2)));
    }

    [Theory]
    [InlineData(60, 0, 2)]
    [InlineData(60, -1, 1)]
    [InlineData(120, 0, 3)]
    [InlineData(120, -1, 2)]
    [InlineData(0, 0, 1)]
    public async Task Replay_at_the_instant_of_a_step_includes_it_and_one_tick_before_does_not(int minutes, int ticks, long version)
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        var at = InstantPattern.ExtendedIso.Format(T0 + Duration.FromMinutes(minutes) + Duration.FromTicks(ticks));

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--at", at, "--json", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(version, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(version, json.RootElement.GetProperty("steps").GetArrayLength());
    }

    [Fact]
    public async Task Replaying_an_unknown_case_is_one_error_line_and_exit_code_one()
    {
        await OpenScriptedCaseAsync();

        var (exit, _, error) = await CliRunner.RunAsync("replay", "BOS-2026-999999", "--agency", "boston", "--connection", database.ConnectionString);

        Assert.Equal(1, exit);
        Assert.Equal("error: no case BOS-2026-999999 in agency boston", error.Trim());
    }

    [Fact]
    public async Task Replaying_a_case_number_in_lower_case_or_with_spaces_around_it_finds_no_case_but_the_error_names_the_number_meant()
    {
        var (_, _, number) = await OpenScriptedCaseAsync();

        foreach (var typed in new[] { number.Value.ToLowerInvariant(), $" {number.Value} " })
        {
            var (exit, output, error) = await CliRunner.RunAsync("replay", typed, "--agency", "boston", "--connection", database.ConnectionString);

            Assert.Equal(1, exit);
            Assert.Empty(output);
            Assert.Equal($"error: no case {typed} in agency boston; did you mean {number.Value}? (case numbers are upper case, without spaces)", error.Trim());
        }
    }

    [Theory]
    [InlineData("--connection", "Host=db;Username=eventcase;Database=eventcase", "start")]
    [InlineData("--connection", "Host=db;Username=eventcase;Database=eventcase", "status")]
    [InlineData("--schema", "other", "stop")]
    public async Task A_db_command_given_an_option_it_would_ignore_is_a_bad_argument(string option, string value, string command)
    {
        // db start|stop|status manage the embedded cluster in --data-dir: `db status --connection <production>`
        // showed the embedded cluster's status, and `db start --connection …` started it, as if the option named it.
        var directory = Path.Combine(Path.GetTempPath(), "eventcase-cli-db-" + Guid.NewGuid().ToString("N")[..8]);

        try
        {
            var (exit, output, error) = await CliRunner.RunAsync("db", command, "--data-dir", directory, option, value);

            Assert.Equal(2, exit);
            Assert.Empty(output);
            Assert.StartsWith($"error: {option}: `eventcase db {command}` manages the embedded PostgreSQL in --data-dir", error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.False(Directory.Exists(directory));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                await CliRunner.RunAsync("db", "stop", "--data-dir", directory);
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("audit", "verify")]
    [InlineData("projections", "status")]
    [InlineData("report", "transparency", "--agency", "boston")]
    [InlineData("replay", "BOS-2026-000001", "--agency", "boston")]
    public async Task A_command_that_only_reads_names_an_embedded_data_directory_without_a_database_and_creates_none(params string[] command)
    {
        // Run as root without --data-dir, such a command created a cluster under /var/lib/eventcase (an initdb of
        // seconds) only to say that it held no event store.
        var directory = Path.Combine(Path.GetTempPath(), "eventcase-cli-none-" + Guid.NewGuid().ToString("N")[..8]);

        try
        {
            var (exit, output, error) = await CliRunner.RunAsync([.. command, "--data-dir", directory]);

            Assert.Equal(1, exit);
            Assert.Empty(output);
            Assert.StartsWith($"error: no event store: the embedded PostgreSQL's data directory {directory} holds no database yet", error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.False(Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any());
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                await CliRunner.RunAsync("db", "stop", "--data-dir", directory);
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Projections_status_lists_the_projections_with_their_lag()
    {
        await OpenScriptedCaseAsync();

        var (exit, output, error) = await CliRunner.RunAsync("projections", "status", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Contains("case_numbers", output, StringComparison.Ordinal);
        Assert.Contains("running", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rebuilding_an_unknown_projection_is_a_bad_argument_that_names_the_known_ones()
    {
        await OpenScriptedCaseAsync();

        var (exit, _, error) = await CliRunner.RunAsync("projections", "rebuild", "no_such_thing", "--connection", database.ConnectionString);

        Assert.Equal(2, exit);
        Assert.Contains("no projection named 'no_such_thing'; known: ", error, StringComparison.Ordinal);
        Assert.Contains("case_numbers", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Db_start_status_and_stop_manage_an_embedded_cluster_in_its_data_directory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "eventcase-cli-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (startExit, started, startError) = await CliRunner.RunAsync("db", "start", "--data-dir", directory);
            Assert.True(startExit == 0, startError);
            Assert.Contains("running (started)", started, StringComparison.Ordinal);

            var (_, status, _) = await CliRunner.RunAsync("db", "status", "--data-dir", directory);
            Assert.Contains("yes (pid", status, StringComparison.Ordinal);

            var (stopExit, stopped, _) = await CliRunner.RunAsync("db", "stop", "--data-dir", directory);
            Assert.Equal(0, stopExit);
            Assert.Contains("stopped", stopped, StringComparison.Ordinal);
            var (_, after, _) = await CliRunner.RunAsync("db", "status", "--data-dir", directory);
            Assert.Contains("running        │ no", after, StringComparison.Ordinal);
        }
        finally
        {
            await CliRunner.RunAsync("db", "stop", "--data-dir", directory);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Output_to_a_file_or_a_pipe_keeps_each_table_row_on_one_line_without_escape_codes()
    {
        // Longer than the 80 columns a console without a terminal would otherwise take.
        var directory = Path.Combine(Path.GetTempPath(), "eventcase-cli-redirected-" + new string('x', 90));
        var output = new StringWriter();
        var console = EventCaseCli.CreateRedirectedConsole(output);

        var exit = await EventCaseCli.RunAsync(["db", "status", "--data-dir", directory], console, new StringWriter(), Ct);
        console.MarkupLine("[green]intact[/]");

        Assert.Equal(0, exit);
        Assert.Single(output.ToString().Split('\n'), line => line.Contains("data directory", StringComparison.Ordinal) && line.Contains(directory, StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', output.ToString());
        Assert.EndsWith("\nintact", output.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_to_a_file_or_a_pipe_keeps_each_step_on_one_line_however_long_what_it_changed()
    {
        // A reason is up to 2,000 characters, and the opening step lists every field it set: at 400 columns such a row
        // was wrapped onto more lines, which a log or a grep reads as more steps.
        var reason = string.Join(' ', Enumerable.Repeat("The resident called again: the hole has grown.", 20));
        var (_, caseId, _) = await OpenScriptedCaseAsync(reason);
        var output = new StringWriter();

        var exit = await EventCaseCli.RunAsync(["replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString], EventCaseCli.CreateRedirectedConsole(output), new StringWriter(), Ct);

        Assert.Equal(0, exit);
        var rows = output.ToString().Split('\n').Where(l => l.StartsWith('│')).ToList();
        Assert.Equal(["v", "1", "2", "3"], rows.Take(4).Select(r => r.Split('│')[1].Trim()));
        Assert.Contains("case.opened.v1", rows[1], StringComparison.Ordinal);
        Assert.Contains("reopenCount: – → 0", rows[1], StringComparison.Ordinal);
        Assert.Contains(reason, rows[3], StringComparison.Ordinal);
    }

    private async Task TamperAsync(string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Theory]
    [InlineData(2, "'{\"x\": 1}'", "event version 2 of boston/{0} (case.assigned.v1, log position")]
    [InlineData(1, "'{}'", "event version 1 of boston/{0} (case.opened.v1, log position")]
    public async Task Replaying_a_case_whose_stored_event_was_altered_says_so_in_one_line_with_exit_code_three(int version, string data, string expected)
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        await TamperAsync($"UPDATE eventcase.events SET data = {data} WHERE tenant_id = 'boston' AND stream_id = '{caseId.Value}' AND stream_version = {version}");

        var (exit, _, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.Equal(3, exit);
        Assert.StartsWith("error: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, caseId.Value), error, StringComparison.Ordinal);
        Assert.Contains($"altered after it was written: boston/{caseId.Value} v{version}: EditedEvent", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("'20000-01-01T00:00:00Z'")]
    [InlineData("'0044-03-15 BC'")]
    public async Task Replaying_a_case_whose_recorded_at_was_set_outside_the_years_1_to_9999_says_which_event_was_altered_with_exit_code_three(string recordedAt)
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        await TamperAsync($"UPDATE eventcase.events SET recorded_at = {recordedAt}::timestamptz WHERE tenant_id = 'boston' AND stream_id = '{caseId.Value}' AND stream_version = 2");

        var (exit, _, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.Equal(3, exit);
        Assert.StartsWith($"error: event version 2 of boston/{caseId.Value} (case.assigned.v1, log position", error, StringComparison.Ordinal);
        Assert.Contains($"altered after it was written: boston/{caseId.Value} v2: EditedEvent", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Replaying_a_case_altered_in_a_way_that_still_reads_shows_it_and_calls_it_altered()
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        await TamperAsync($"UPDATE eventcase.events SET data = jsonb_set(data, '{{reason}}', '\"nothing happened\"') WHERE tenant_id = 'boston' AND stream_id = '{caseId.Value}' AND stream_version = 3");

        var (exit, output, error) = await CliRunner.RunAsync("replay", caseId.Value, "--agency", "boston", "--json", "--connection", database.ConnectionString);

        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(3, json.RootElement.GetProperty("version").GetInt64());
        Assert.Contains($"boston/{caseId.Value} was altered after it was written", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("edited", "EditedEvent", "--json")]
    [InlineData("edited", "EditedEvent", "--version", "2")]
    [InlineData("deleted", "DeletedEvent")]
    [InlineData("deleted", "DeletedEvent", "--at", "2026-03-02T15:30:00Z")]
    [InlineData("swapped", "ReorderedEvents", "--json")]
    [InlineData("swapped", "ReorderedEvents", "--version", "3")]
    public async Task Replaying_a_case_with_an_event_edited_deleted_or_swapped_calls_it_altered_at_that_version_with_exit_code_three(
        string alteration, string kind, params string[] options)
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();
        var row = $"tenant_id = 'boston' AND stream_id = '{caseId.Value}'";
        switch (alteration)
        {
            case "edited":
                // The assignment backdated by half an hour: it still reads, and a replay --at shows it earlier.
                await TamperAsync($"UPDATE eventcase.events SET data = jsonb_set(data, '{{at}}', '\"2026-03-02T14:30:00Z\"') WHERE {row} AND stream_version = 2");
                break;
            case "deleted":
                await TamperAsync($"DELETE FROM eventcase.events WHERE {row} AND stream_version = 2");
                break;
            default:
                await TamperAsync($"UPDATE eventcase.events SET stream_version = -1 WHERE {row} AND stream_version = 2");
                await TamperAsync($"UPDATE eventcase.events SET stream_version = 2 WHERE {row} AND stream_version = 3");
                await TamperAsync($"UPDATE eventcase.events SET stream_version = 3 WHERE {row} AND stream_version = -1");
                break;
        }

        var (exit, output, error) = await CliRunner.RunAsync(["replay", caseId.Value, "--agency", "boston", .. options, "--connection", database.ConnectionString]);

        Assert.Equal(3, exit);
        Assert.False(string.IsNullOrWhiteSpace(output), "the history is shown as stored, then called altered");
        Assert.Contains($"boston/{caseId.Value} was altered after it was written", error, StringComparison.Ordinal);
        Assert.Contains($"boston/{caseId.Value} v2: {kind}", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Replaying_an_untouched_case_at_any_point_exits_zero_without_a_warning()
    {
        var (_, caseId, _) = await OpenScriptedCaseAsync();

        string[][] points = [[], ["--version", "1"], ["--at", "2026-03-02T15:00:00Z"], ["--json"]];
        foreach (var options in points)
        {
            var (exit, _, error) = await CliRunner.RunAsync(["replay", caseId.Value, "--agency", "boston", .. options, "--connection", database.ConnectionString]);

            Assert.Equal(0, exit);
            Assert.Equal("", error);
        }
    }

    [Fact]
    public async Task Waiting_for_a_rebuild_that_no_service_owns_says_so_and_gives_up_at_the_timeout()
    {
        await OpenScriptedCaseAsync();

        var (exit, output, error) = await CliRunner.RunAsync("projections", "rebuild", "case_numbers", "--wait", "--timeout", "1", "--connection", database.ConnectionString);
        var (_, status, _) = await CliRunner.RunAsync("projections", "status", "--connection", database.ConnectionString);

        Assert.Equal(1, exit);
        Assert.Contains("no running service owns case_numbers", output, StringComparison.Ordinal);
        Assert.Equal("error: gave up waiting for the rebuild of case_numbers after 1 s (no running service owns it); it stays requested", error.Trim());
        Assert.Contains("requested", status, StringComparison.Ordinal);
        Assert.Contains("rebuild requested but no running service owns", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_output_in_a_file_or_a_pipe_progress_goes_to_standard_error_and_the_output_keeps_only_what_the_command_says()
    {
        await OpenScriptedCaseAsync();
        var output = new StringWriter();
        var error = new StringWriter();

        // A second of waiting for a rebuild no service takes up: the progress bar is drawn meanwhile.
        var exit = await EventCaseCli.RunAsync(
            ["projections", "rebuild", "case_numbers", "--wait", "--timeout", "1", "--connection", database.ConnectionString],
            EventCaseCli.CreateRedirectedConsole(output), error, Ct, EventCaseCli.CreateProgressConsole(error, errorRedirected: true));

        Assert.Equal(1, exit);
        Assert.StartsWith("rebuild of case_numbers requested, but no running service owns case_numbers", output.ToString(), StringComparison.Ordinal);
        Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("case_numbers", error.ToString().Replace("error: gave up waiting for the rebuild of case_numbers", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rebuild_request_that_no_service_owns_does_not_say_that_a_service_will_do_it()
    {
        await OpenScriptedCaseAsync();

        var (exit, output, _) = await CliRunner.RunAsync("projections", "rebuild", "case_numbers", "--connection", database.ConnectionString);

        Assert.Equal(0, exit);
        Assert.DoesNotContain("will do it", output, StringComparison.Ordinal);
        Assert.StartsWith("rebuild of case_numbers requested, but no running service owns case_numbers (no service has ever owned it)", output.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_directory_under_a_file_is_a_bad_argument()
    {
        var file = Path.GetTempFileName();
        try
        {
            var (exit, _, error) = await CliRunner.RunAsync("db", "start", "--data-dir", Path.Combine(file, "sub"));

            Assert.Equal(2, exit);
            Assert.Contains($"cannot be a directory: {file} is a file.", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

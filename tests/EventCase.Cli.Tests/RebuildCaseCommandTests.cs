using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Schema;
using EventCase.Cases.Sla;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cli.Tests;

/// <summary><c>eventcase projections rebuild-case</c>: one case's rows folded again from its events.</summary>
public sealed class RebuildCaseCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 3, 2, 14, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A case opened, assigned and escalated through the handler, with every built-in projection registered, as the
    /// service runs: on <paramref name="calendars"/> (the default calendar for every agency when null).
    /// </summary>
    private async Task<(CaseId Case, CaseNumber Number)> OpenCaseAsync(string agencyId = "boston", IAgencyCalendars? calendars = null)
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(calendars ?? CliSession.Calendars));
        await store.MigrateAsync(Ct);
        await CasesSchema.MigrateAsync(database.DataSource, cancellationToken: Ct);
        var handler = new CaseCommandHandler(store, new PostgresCaseNumberAllocator(database.DataSource));
        var agency = new AgencyId(agencyId);
        var caseId = new CaseId("case-" + Guid.NewGuid().ToString("N"));
        var context = new CommandContext(agency, "agent-7", "agent", "corr-1", "phone", "citizen called");
        var service = new ServiceDefinition(new ServiceCode("pothole"), "Pothole", "Potholes in the road", agency, CasePriority.Normal, SlaTarget.BusinessHours(16), []);
        CaseNumber? number = null;
        Assert.IsType<CaseCommandResult.Accepted>(await handler.OpenCaseAsync(context, caseId, new CaseNumberSeries(agency, agencyId.ToUpperInvariant()[..3], 2026), n =>
        {
            number = n;
            return new OpenCase(caseId, n, agency, new CatalogEntry(service), "Deep pothole", null, null, Channel.Phone, new Dictionary<string, IReadOnlyList<string>>(), T0);
        }, Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(new AssignCase(caseId, new Assignment(new TeamId("streets")), T0 + Duration.FromHours(1)), context, Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(new EscalateCase(caseId, 2, "near a school", T0 + Duration.FromHours(2)), context, Ct));
        return (caseId, number!);
    }

    /// <summary>The case's queue row loses its escalation, as a hand edit would leave it.</summary>
    private async Task SpoilQueueRowAsync(CaseId caseId)
    {
        await using var command = database.DataSource.CreateCommand("UPDATE eventcase.work_queue SET escalation_level = 0, urgency_rank = 15 WHERE row_key = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = caseId.Value });
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }

    private async Task<int> QueueEscalationAsync(CaseId caseId)
    {
        await using var command = database.DataSource.CreateCommand("SELECT escalation_level FROM eventcase.work_queue WHERE row_key = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = caseId.Value });
        return (int)(await command.ExecuteScalarAsync(Ct))!;
    }

    [Fact]
    public async Task A_cases_spoiled_queue_row_is_rebuilt_from_its_events_and_its_other_rows_are_reported_as_agreeing()
    {
        var (caseId, number) = await OpenCaseAsync();
        await SpoilQueueRowAsync(caseId);

        var (exit, output, error) = await CliRunner.RunAsync("projections", "rebuild-case", number.Value, "--agency", "boston", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Equal(2, await QueueEscalationAsync(caseId));
        var queueLine = output.Split('\n').Single(line => line.Contains("work_queue", StringComparison.Ordinal));
        Assert.Contains("differed: rebuilt", queueLine, StringComparison.Ordinal);
        Assert.Contains("whole case", queueLine, StringComparison.Ordinal);
        var summaryLine = output.Split('\n').Single(line => line.Contains("case_summary", StringComparison.Ordinal));
        Assert.Contains("agreed with the log", summaryLine, StringComparison.Ordinal);
        Assert.Contains($"case {caseId.Value}: 1 projection(s) rebuilt from its events.", output, StringComparison.Ordinal);

        // The async projections, with no daemon here, are rebuilt up to their checkpoints: nothing of the case yet.
        var auditLine = output.Split('\n').Single(line => line.Contains("audit_trail", StringComparison.Ordinal));
        Assert.Contains("checkpoint", auditLine, StringComparison.Ordinal);
        Assert.Contains("agreed with the log", auditLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_case_of_an_agency_with_its_own_calendar_is_folded_on_that_calendar_as_the_service_folded_it()
    {
        // The service counts SLA time on the agency's calendar: a rebuild on the default one would move the due instant
        // and call rows wrong that are right.
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(Ct);
        var calendars = new CalendarCache();
        var reference = new ReferenceData(() => store, calendars);
        var agency = new AgencyId("springfield");
        var nights = new CalendarDefinition("Asia/Tokyo", [new CalendarHours(IsoDayOfWeek.Saturday, new LocalTime(1, 0), new LocalTime(3, 0))], []);
        await reference.AppendAsync(agency, ReferenceData.CalendarStream, 0, [new CalendarSet(agency, nights, T0 - Duration.FromDays(30))], new EventCase.EventStore.Metadata.EventMetadata("admin-1", "admin"), null, Ct);
        await reference.LoadAsync(Ct);
        var (caseId, _) = await OpenCaseAsync("springfield", calendars);

        var (exit, output, error) = await CliRunner.RunAsync("projections", "rebuild-case", caseId.Value, "--agency", "springfield", "--dry-run", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Contains($"case {caseId.Value}: every row agreed with its events.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("differs", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_names_the_projection_that_disagrees_and_changes_nothing()
    {
        var (caseId, _) = await OpenCaseAsync();
        await SpoilQueueRowAsync(caseId);

        var (exit, output, error) = await CliRunner.RunAsync(
            "projections", "rebuild-case", caseId.Value, "--agency", "boston", "--projection", "work_queue", "--projection", "case_summary", "--dry-run", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.Equal(0, await QueueEscalationAsync(caseId));
        Assert.Contains("differs (dry run: left as it was)", output, StringComparison.Ordinal);
        Assert.Contains("1 projection(s) disagree with its events; run without --dry-run to rebuild them.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("audit_trail", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Naming_an_unknown_projection_is_a_bad_argument_that_lists_the_registered_ones_and_names_no_library_parameter()
    {
        var (caseId, _) = await OpenCaseAsync();

        var (exit, output, error) = await CliRunner.RunAsync("projections", "rebuild-case", caseId.Value, "--agency", "boston", "--projection", "nope", "--connection", database.ConnectionString);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("No projection named 'nope' is registered; registered: case_numbers, case_summary, work_queue", error, StringComparison.Ordinal);
        // "(Parameter 'name')" is the library's parameter, which the user never saw; the option is --projection.
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_case_number_in_lower_case_is_no_case_id_without_events_but_an_error_that_names_the_number_meant()
    {
        var (_, number) = await OpenCaseAsync();
        var typed = number.Value.ToLowerInvariant();

        var (exit, output, error) = await CliRunner.RunAsync("projections", "rebuild-case", typed, "--agency", "boston", "--connection", database.ConnectionString);

        // It was taken for a case id without events, and the command exited 0 saying there was nothing to rebuild.
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal($"error: no case {typed} in agency boston; did you mean {number.Value}? (case numbers are upper case, without spaces)", error.Trim());
    }

    [Fact]
    public async Task A_case_number_no_case_has_is_one_error_line_and_a_case_id_without_events_is_said_to_have_none()
    {
        await OpenCaseAsync();

        var (exit, _, error) = await CliRunner.RunAsync("projections", "rebuild-case", "BOS-2026-999999", "--agency", "boston", "--connection", database.ConnectionString);
        Assert.Equal(1, exit);
        Assert.Equal("error: no case BOS-2026-999999 in agency boston", error.Trim());

        (exit, var output, error) = await CliRunner.RunAsync("projections", "rebuild-case", "case-missing", "--agency", "boston", "--connection", database.ConnectionString);
        Assert.True(exit == 0, error);
        Assert.Contains("no events recorded for case case-missing in agency boston: no rows either, nothing to rebuild.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_finds_the_cases_whose_rows_disagree_and_repair_rebuilds_them()
    {
        var cases = new List<CaseId>();
        for (var i = 0; i < 3; i++)
        {
            cases.Add((await OpenCaseAsync("shelbyville")).Case);
        }

        await SpoilQueueRowAsync(cases[1]);

        var (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "shelbyville", "--all", "--connection", database.ConnectionString);
        Assert.Equal(1, exit);
        Assert.Equal($"error: 1 of 3 case(s) of shelbyville disagree with their events (listed above); `--repair` rebuilds them", error.Trim());
        Assert.Contains($"disagreeing: {cases[1].Value}", output, StringComparison.Ordinal);
        var queueLine = output.Split('\n').Single(line => line.Contains("work_queue", StringComparison.Ordinal));
        Assert.Matches(@"work_queue\s*│\s*3\s*│\s*1", queueLine);
        Assert.Equal(0, await QueueEscalationAsync(cases[1]));

        (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "shelbyville", "--sample", "10", "--repair", "--connection", database.ConnectionString);
        Assert.True(exit == 0, error);
        Assert.Contains("shelbyville: 3 case(s) picked at random: 1 case(s) disagreed with their events and were rebuilt.", output, StringComparison.Ordinal);
        Assert.Equal(2, await QueueEscalationAsync(cases[1]));

        (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "shelbyville", "--all", "--connection", database.ConnectionString);
        Assert.True(exit == 0, error);
        Assert.Contains("shelbyville: every case: every read model agrees with the events.", output, StringComparison.Ordinal);

    }

    [Fact]
    public async Task Check_of_an_agency_with_no_streams_is_an_error_and_of_one_without_cases_checks_nothing()
    {
        // Migrated first, whichever of the class's tests runs first: on a database without an event store the check
        // says that instead (it failed so when run alone or first).
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CliSession.Calendars));
        await store.MigrateAsync(Ct);

        // As audit verify --tenant: an agency unknown to the database is a typo, not a clean check (it exited 0).
        var (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "nowhere", "--connection", database.ConnectionString);
        Assert.Equal((1, ""), (exit, output));
        Assert.Equal("error: nothing to check: agency 'nowhere' has no streams (is --agency right?)", error.Trim());

        // An agency whose only streams are no cases (its calendar) exists, and has nothing to check.
        await store.AppendToStreamAsync(new StreamName("north-haverbrook", ReferenceData.CalendarStream), "calendar", ExpectedVersion.Any,
            [new NewEvent(Guid.NewGuid(), new CalendarSet(new AgencyId("north-haverbrook"), CalendarDefinition.Default, T0), new EventCase.EventStore.Metadata.EventMetadata("admin-1", "admin"))], Ct);
        (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "north-haverbrook", "--connection", database.ConnectionString);
        Assert.True(exit == 0, error);
        Assert.Contains("agency north-haverbrook has no cases: nothing to check.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_without_repair_shows_no_rebuilt_column_and_with_repair_shows_one()
    {
        await OpenCaseAsync("ogdenville");

        var (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "ogdenville", "--all", "--connection", database.ConnectionString);
        Assert.True(exit == 0, error);
        var header = output.Split('\n').Single(line => line.Contains("│ read model", StringComparison.Ordinal));
        Assert.Matches(@"^│\s*read model\s*│\s*cases checked\s*│\s*disagreed\s*│$", header.Trim());
        var queueLine = output.Split('\n').Single(line => line.Contains("work_queue", StringComparison.Ordinal));
        Assert.Matches(@"^│\s*work_queue\s*│\s*1\s*│\s*0\s*│$", queueLine.Trim());

        (exit, output, error) = await CliRunner.RunAsync("projections", "check", "--agency", "ogdenville", "--all", "--repair", "--connection", database.ConnectionString);
        Assert.True(exit == 0, error);
        header = output.Split('\n').Single(line => line.Contains("│ read model", StringComparison.Ordinal));
        Assert.Matches(@"^│\s*read model\s*│\s*cases checked\s*│\s*disagreed\s*│\s*rebuilt\s*│$", header.Trim());
    }

    [Fact]
    public async Task Check_with_repair_cancelled_at_any_point_exits_130_and_leaves_each_case_repaired_or_as_it_was()
    {
        // Ctrl-C once exited 1 here: every moment of a run (reading the cases, comparing, rebuilding) is interrupted in
        // turn, and each case's rows are whole, its rebuild committed or not at all.
        var cases = new List<CaseId>();
        for (var i = 0; i < 12; i++)
        {
            cases.Add((await OpenCaseAsync("capital-city")).Case);
        }

        var outcomes = new List<string>();
        foreach (var delay in new[] { 0, 1, 2, 3, 5, 8, 12, 18, 25, 35, 50, 70, 100, 140, 200, 280, 400 })
        {
            foreach (var caseId in cases)
            {
                await SpoilQueueRowAsync(caseId);
            }

            using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            ctrlC.CancelAfter(delay);
            var (exit, _, error) = await CliRunner.RunAsync(ctrlC.Token, "projections", "check", "--agency", "capital-city", "--all", "--repair", "--connection", database.ConnectionString);

            outcomes.Add($"{delay} ms: {exit} {error.Trim()}");
            foreach (var caseId in cases)
            {
                Assert.Contains(await QueueEscalationAsync(caseId), new[] { 0, 2 });
            }
        }

        Assert.All(outcomes, outcome => Assert.Matches(@"^\d+ ms: (0 |130 cancelled)$", outcome));
    }
}

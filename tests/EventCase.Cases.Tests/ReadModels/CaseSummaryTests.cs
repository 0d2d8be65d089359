using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Projections;
using EventCase.EventStore.Serialization;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class CaseSummaryFixture : ScriptedStoreFixture
{
    protected override Projection CreateProjection() => new CaseSummaryProjection(BostonCalendars);
}

public sealed class CaseSummaryTests(CaseSummaryFixture fixture) : IClassFixture<CaseSummaryFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private CaseSummaryQueries Queries => new(fixture.Tester.Store);

    [Fact]
    public async Task The_summary_of_every_scripted_case_matches_the_golden_file()
    {
        var rows = await fixture.Tester.RowsAsync<CaseSummaryRow>(Ct);

        await Golden.VerifyAsync(rows, "scripted-cases", fixture.Golden());
    }

    [Fact]
    public async Task SLA_due_instants_follow_the_agency_calendar_pauses_and_daylight_saving_time()
    {
        var c2 = await Queries.GetAsync(Boston, "case-002", Ct);
        var c3 = await Queries.GetAsync(Boston, "case-003", Ct);
        var c4 = await Queries.GetAsync(Boston, "case-004", Ct);
        var c7 = await Queries.GetAsync(Boston, "case-007", Ct);
        var c8 = await Queries.GetAsync(Boston, "case-008", Ct);

        Assert.Equal(Utc(3, 9, 19, 0), c2!.SlaDue);
        Assert.Equal(Utc(3, 9, 19, 0), c2.SlaBreachedAt);
        Assert.Equal(Utc(3, 9, 13, 0), c3!.SlaDue);
        Assert.Null(c3.SlaBreachedAt);
        Assert.True(c3.IsSlaBreached(Now));
        Assert.False(c3.IsSlaBreached(Utc(3, 9, 12, 59)));
        Assert.Equal(Utc(3, 9, 15, 0), c4!.SlaDue);
        Assert.Null(c7!.SlaDue);
        Assert.False(c7.IsSlaBreached(Now));
        Assert.Null(c8!.SlaDue);
        Assert.False(c8.IsSlaBreached(Now));
    }

    [Fact]
    public async Task A_case_is_found_by_the_number_citizens_quote()
    {
        var row = await Queries.GetByNumberAsync(Boston, "BOS-2026-000004", Ct);

        Assert.Equal("case-004", row!.CaseId);
        Assert.Null(await Queries.GetByNumberAsync("cambridge", "BOS-2026-000004", Ct));
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_repeats_or_gaps_and_filters_by_status_and_team()
    {
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Queries.ListAsync(Boston, pageSize: 4, cursor: cursor, cancellationToken: Ct);
            seen.AddRange(page.Items.Select(r => r.CaseId));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var resolved = await Queries.ListAsync(Boston, new CaseSummaryFilter([CaseStatus.Resolved]), cancellationToken: Ct);
        var lighting = await Queries.ListAsync(Boston, new CaseSummaryFilter(Team: "lighting"), cancellationToken: Ct);

        Assert.Equal(Enumerable.Range(1, 9).Reverse().Select(i => $"case-00{i}"), seen);
        Assert.Equal(["case-009", "case-008", "case-002"], resolved.Items.Select(r => r.CaseId));
        Assert.Equal(["case-007"], lighting.Items.Select(r => r.CaseId));
        Assert.Throws<ArgumentException>(() => Queries.ListAsync(Boston, cursor: "not-a-cursor", cancellationToken: Ct).GetAwaiter().GetResult());
    }

    [Fact]
    public void Folding_a_case_event_by_event_gives_the_same_SLA_timeline_as_the_domain_reading_the_whole_history()
    {
        foreach (var history in ByCase())
        {
            var events = history.ToList();
            CaseSummaryRow? row = null;
            foreach (var (e, version) in events.Select((e, i) => (e, i + 1L)))
            {
                row = CaseSummaryRow.Evolve(row, e, version, Calendar);
            }

            Assert.Equal(SlaTimeline.FromHistory(events), row!.Sla.ToTimeline(), new TimelineComparer());
            Assert.Equal(CaseState.Fold(events).Status, row.Status);
        }
    }

    [Fact]
    public void After_every_event_the_SLA_due_and_breach_instants_are_those_of_the_clock_computed_from_scratch()
    {
        // The fold skips the clock when an event leaves the SLA timeline as it was; it must give the same answers.
        var id = new CaseId("case-sla");
        var opened = new CaseOpened(
            id, new CaseNumber("BOS", 2026, 99), new AgencyId(Boston), new ServiceCode("pothole"), "Something is broken", null, null, Channel.Web,
            new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(16), Utc(3, 2, 15, 0));
        CaseEvent[] notes =
        [
            opened,
            new NoteAdded(id, NoteVisibility.Internal, "before the due instant", Utc(3, 3, 15, 0)),
            new NoteAdded(id, NoteVisibility.Internal, "past the due instant: breached now", Utc(3, 5, 15, 0)),
            new NoteAdded(id, NoteVisibility.Internal, "still breached, at the same instant", Utc(3, 9, 15, 0)),
            new NoteAdded(id, NoteVisibility.Internal, "dated before the due instant (imported history)", Utc(3, 2, 16, 0)),
            new NoteAdded(id, NoteVisibility.Internal, "past it again", Utc(3, 10, 15, 0)),
        ];

        foreach (var history in ByCase().Select(c => c.ToList()).Append([.. notes]))
        {
            CaseSummaryRow? row = null;
            foreach (var (e, version) in history.Select((e, i) => (e, i + 1L)))
            {
                row = CaseSummaryRow.Evolve(row, e, version, Calendar);
                var clock = row!.Sla.ClockAt(Calendar, row.UpdatedAt);
                Assert.True(clock.Due == row.SlaDue && clock.BreachedAt == row.SlaBreachedAt, $"{row.CaseId} after {e.GetType().Name} at {e.At}: due {row.SlaDue}, breached {row.SlaBreachedAt}; the clock says {clock.Due}, {clock.BreachedAt}");
            }
        }
    }

    [Fact]
    public void A_case_imported_with_a_due_date_of_never_folds_without_a_due_instant_instead_of_failing_the_projection()
    {
        // A source system's 31 December 9999 as the due date: as business time on a 09:00–17:00 calendar it runs out
        // thousands of years after 9999. The fold of a rebuild must not stop on it.
        var id = new CaseId("case-never");
        var at = Utc(3, 2, 15, 0);
        var opened = new CaseOpened(
            id, new CaseNumber("BOS", 2015, 7), new AgencyId(Boston), new ServiceCode("pothole"), "Something is broken", null, null, Channel.Web,
            new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessTime(Instant.FromUtc(9999, 12, 31, 0, 0) - at), at);

        var row = CaseSummaryRow.Evolve(null, opened, 1, Calendar);
        row = CaseSummaryRow.Evolve(row, new NoteAdded(id, NoteVisibility.Internal, "later", Utc(3, 20, 15, 0)), 2, Calendar);

        Assert.Null(row!.SlaDue);
        Assert.Null(row.SlaBreachedAt);
        Assert.False(row.IsSlaBreached(Utc(3, 20, 15, 0)));
    }

    [Fact]
    public async Task A_writer_reads_its_own_writes_in_the_summary_and_the_queue_at_once()
    {
        var store = new PostgresEventStore(
            fixture.DataSource,
            new EventSerializer(ScriptedStoreFixture.Registry()),
            new EventStoreOptions { Schema = "read_your_writes" },
            [new CaseSummaryProjection(BostonCalendars), new WorkQueueProjection(BostonCalendars)]);
        await store.MigrateAsync(Ct);
        var opened = (CaseOpened)Events[0].Event;
        var stream = new StreamName(Boston, "case-ryw");
        var metadata = new EventMetadata("alice", "agent");

        await store.AppendToStreamAsync(stream, "case", ExpectedVersion.NoStream, [new NewEvent(Guid.NewGuid(), opened with { CaseId = new CaseId("case-ryw") }, metadata)], Ct);
        var afterOpen = await new CaseSummaryQueries(store).GetAsync(Boston, "case-ryw", Ct);
        await store.AppendToStreamAsync(stream, "case", ExpectedVersion.Exactly(1), [new NewEvent(Guid.NewGuid(), new CaseAssigned(new CaseId("case-ryw"), new Assignment(new TeamId("streets"), new AgentId("alice")), opened.At), metadata)], Ct);
        var afterAssign = await new CaseSummaryQueries(store).GetAsync(Boston, "case-ryw", Ct);
        var queue = await new WorkQueueQueries(store).PageAsync(Boston, WorkQueueScope.OfAssignee("alice"), null, Now, cancellationToken: Ct);

        Assert.Equal(CaseStatus.Open, afterOpen!.Status);
        Assert.Equal((CaseStatus.Assigned, "streets", "alice", 2L), (afterAssign!.Status, afterAssign.Team, afterAssign.Assignee, afterAssign.Version));
        Assert.Equal(["case-ryw"], queue.Items.Select(i => i.CaseId));
    }

    private sealed class TimelineComparer : IEqualityComparer<SlaTimeline>
    {
        public bool Equals(SlaTimeline? x, SlaTimeline? y) =>
            x!.Started == y!.Started && x.StoppedAt == y.StoppedAt && x.Pauses.SequenceEqual(y.Pauses);

        public int GetHashCode(SlaTimeline obj) => obj.Started.GetHashCode();
    }
}

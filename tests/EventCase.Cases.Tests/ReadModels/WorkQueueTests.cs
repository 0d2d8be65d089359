using EventCase.Cases.Assigning;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.Cases.RequestingInformation;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class WorkQueueFixture : ScriptedStoreFixture
{
    protected override Projection CreateProjection() => new WorkQueueProjection(BostonCalendars);
}

public sealed class WorkQueueTests(WorkQueueFixture fixture) : IClassFixture<WorkQueueFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WorkQueueQueries Queries => new(fixture.Tester.Store);

    private async Task<IReadOnlyList<string>> CaseIdsAsync(WorkQueueScope scope, WorkQueueFilter? filter = null) =>
        [.. (await Queries.PageAsync(Boston, scope, filter, Now, cancellationToken: Ct)).Items.Select(i => i.CaseId)];

    [Fact]
    public async Task The_agency_queue_holds_only_open_cases_most_escalated_then_most_urgent_then_soonest_due()
    {
        var page = await Queries.PageAsync(Boston, WorkQueueScope.Agency, null, Now, cancellationToken: Ct);

        // case-004: level 2, urgent. case-007: level 0, high, paused (no due). case-003: level 0, normal, due 9 Mar.
        Assert.Equal(["case-004", "case-007", "case-003"], page.Items.Select(i => i.CaseId));
        Assert.Null(page.NextCursor);
        await Golden.VerifyAsync(page, "agency-queue", fixture.Golden());
    }

    [Fact]
    public async Task Team_assignee_status_service_unassigned_breached_and_area_filters_narrow_the_queue()
    {
        Assert.Equal(["case-004"], await CaseIdsAsync(WorkQueueScope.OfTeam("streets")));
        Assert.Equal(["case-007"], await CaseIdsAsync(WorkQueueScope.OfTeam("lighting")));
        Assert.Equal(["case-004"], await CaseIdsAsync(WorkQueueScope.OfAssignee("bob")));
        Assert.Empty(await CaseIdsAsync(WorkQueueScope.OfAssignee("alice")));
        Assert.Equal(["case-007"], await CaseIdsAsync(WorkQueueScope.Agency, new WorkQueueFilter([CaseStatus.AwaitingCitizen])));
        Assert.Equal(["case-007", "case-003"], await CaseIdsAsync(WorkQueueScope.Agency, new WorkQueueFilter(Service: "streetlight")));
        Assert.Equal(["case-003"], await CaseIdsAsync(WorkQueueScope.Agency, new WorkQueueFilter(Unassigned: true)));
        Assert.Equal(["case-004", "case-003"], await CaseIdsAsync(WorkQueueScope.Agency, new WorkQueueFilter(Breached: true)));
        Assert.Equal(["case-007"], await CaseIdsAsync(WorkQueueScope.Agency, new WorkQueueFilter(Breached: false)));
        // Latitudes are 42.35 + sequence/1000: the box takes cases 3 and 4 only.
        Assert.Equal(["case-004", "case-003"], await CaseIdsAsync(WorkQueueScope.Agency, new WorkQueueFilter(Area: new BoundingBox(42.3525, -71.1, 42.3545, -71.0))));
    }

    [Fact]
    public async Task Breached_is_judged_at_the_query_instant_from_the_stored_due_instant()
    {
        var before = await Queries.PageAsync(Boston, WorkQueueScope.Agency, new WorkQueueFilter(Breached: true), Utc(3, 9, 14, 0), cancellationToken: Ct);

        Assert.Equal(["case-003"], before.Items.Select(i => i.CaseId));
    }

    [Fact]
    public async Task A_case_is_not_breached_at_its_due_instant_and_is_breached_just_after_it()
    {
        // case-004 is due Mon 9 Mar 11:00 EDT (15:00Z): work finished at 11:00 is on time.
        var atDue = Utc(3, 9, 15, 0);
        var justAfter = atDue + Duration.FromSeconds(1);

        var notYet = await Queries.PageAsync(Boston, WorkQueueScope.OfTeam("streets"), new WorkQueueFilter(Breached: false), atDue, cancellationToken: Ct);
        var breached = await Queries.PageAsync(Boston, WorkQueueScope.OfTeam("streets"), new WorkQueueFilter(Breached: true), justAfter, cancellationToken: Ct);

        Assert.Equal([("case-004", false)], notYet.Items.Select(i => (i.CaseId, i.SlaBreached)));
        Assert.Equal([("case-004", true)], breached.Items.Select(i => (i.CaseId, i.SlaBreached)));
        Assert.Empty((await Queries.PageAsync(Boston, WorkQueueScope.OfTeam("streets"), new WorkQueueFilter(Breached: true), atDue, cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Paging_through_a_large_queue_returns_every_case_once_in_queue_order()
    {
        const string agency = "cambridge";
        var random = new Random(42);
        var expected = new List<(int Rank, Instant Due, string Id)>();
        var calendarStart = Utc(3, 2, 14, 0);
        for (var i = 0; i < 57; i++)
        {
            var id = $"cam-{i:D3}";
            var caseId = new CaseId(id);
            var opened = (CaseOpened)Events[0].Event with
            {
                CaseId = caseId,
                Agency = new AgencyId(agency),
                Number = new CaseNumber("CAM", 2026, i + 1),
                Priority = (CasePriority)random.Next(4),
                // Several cases share an opening instant (and so a due instant): the case id breaks the tie.
                At = calendarStart + Duration.FromHours(random.Next(10)),
            };
            var level = random.Next(4);
            List<object> events = [opened];
            if (level > 0)
            {
                events.Add(new CaseEscalated(caseId, 0, level, "Test", opened.At));
            }

            if (i % 9 == 0)
            {
                events.Add(new CaseAssigned(caseId, new Assignment(new TeamId("t")), opened.At));
                events.Add(new InformationRequested(caseId, "?", Channel.Email, opened.At));
            }

            await fixture.Tester.AppendAsync(new StreamName(agency, id), [.. events]);
            expected.Add(((3 - level) * 4 + (3 - (int)opened.Priority), i % 9 == 0 ? WorkQueueProjection.NoDue : DueOf(opened), id));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Queries.PageAsync(agency, WorkQueueScope.Agency, null, Now, pageSize: 10, cursor: cursor, cancellationToken: Ct);
            seen.AddRange(page.Items.Select(i => i.CaseId));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(6, pages);
        Assert.Equal(expected.OrderBy(e => e.Rank).ThenBy(e => e.Due).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id), seen);
    }

    private static Instant DueOf(CaseOpened opened) => Calendar.AddBusinessTime(opened.At, Duration.FromHours(16));
}

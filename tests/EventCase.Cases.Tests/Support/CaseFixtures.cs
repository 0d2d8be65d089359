using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Catalog;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;
using NodaTime;

namespace EventCase.Cases.Tests.Support;

/// <summary>A pothole case in Boston, and the events and commands that move it through its life.</summary>
internal static class CaseFixtures
{
    public static readonly CaseId Id = new("case-102");
    public static readonly CaseNumber Number = CaseNumber.Parse("BOS-2026-000102");
    public static readonly AgencyId Boston = new("boston");
    public static readonly AgencyId Massdot = new("massdot");
    public static readonly TeamId Streets = new("streets");
    public static readonly TeamId Lighting = new("lighting");
    public static readonly AgentId Alice = new("alice");
    public static readonly ServiceCode Pothole = new("pothole");
    public static readonly Instant T0 = Instant.FromUtc(2026, 3, 2, 14, 0);

    public static Instant At(int minutes) => T0 + Duration.FromMinutes(minutes);

    public static ServiceDefinition PotholeService { get; } = new(
        Pothole,
        "Pothole",
        "A hole in the road",
        Boston,
        CasePriority.Normal,
        SlaTarget.BusinessHours(16),
        [
            new ServiceAttribute("size", AttributeDatatype.SingleValueList, true, "How big is it?", 1,
                [new AttributeValue("small", "Smaller than a shoe"), new AttributeValue("large", "Larger than a shoe")]),
            new ServiceAttribute("depth-cm", AttributeDatatype.Number, false, "How deep, in cm?", 2, []),
            new ServiceAttribute("seen-at", AttributeDatatype.Datetime, false, "When did you see it?", 3, []),
            new ServiceAttribute("hazards", AttributeDatatype.MultiValueList, false, "Anything else?", 4,
                [new AttributeValue("water", "Standing water"), new AttributeValue("debris", "Debris")]),
            new ServiceAttribute("notes", AttributeDatatype.Text, false, "Anything to add?", 5, []),
        ]);

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes(params (string Code, string Value)[] values) =>
        values.GroupBy(v => v.Code, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(v => v.Value)], StringComparer.Ordinal);

    public static readonly CitizenContact Citizen = new("citizen-7", "Jane Roe", "jane@example.org", "+1 617 555 0100");

    public static readonly CaseLocation Location = new(new GeoPoint(42.3601, -71.0589), "1 City Hall Sq, Boston");

    public static OpenCase Open(TeamId? routedTo = null, CasePriority? priority = null) => new(
        Id, Number, Boston, new CatalogEntry(PotholeService), "Deep pothole by the bus stop", Citizen, Location, Channel.Web,
        Attributes(("size", "large")), T0, priority, routedTo);

    // Events, one per step.
    public static CaseOpened Opened() => new(
        Id, Number, Boston, Pothole, "Deep pothole by the bus stop", Citizen, Location, Channel.Web,
        Attributes(("size", "large")), CasePriority.Normal, SlaTarget.BusinessHours(16), T0);

    public static CaseEscalated EscalatedTo1() => new(Id, 0, 1, "Near a school", At(1));

    public static CaseAssigned AssignedToStreets() => new(Id, new Assignment(Streets), At(2));

    public static WorkStarted Started() => new(Id, At(3));

    public static InformationRequested InfoRequested() => new(Id, "Which side of the street?", Channel.Email, At(4));

    public static CaseResolved Resolved() => new(Id, "repaired", "We filled the pothole.", At(5));

    public static CaseClosed Closed() => new(Id, At(6));

    public static CaseCancelled Cancelled() => new(Id, "Withdrawn by the citizen", At(7));

    public static CaseMarkedDuplicate MarkedDuplicate() => new(Id, new CaseId("case-77"), CaseNumber.Parse("BOS-2026-000077"), At(7));

    public static DuplicateCaseMerged DuplicateMerged() => new(Id, new CaseId("case-78"), CaseNumber.Parse("BOS-2026-000078"), At(8));

    public static CaseTransferred Transferred() => new(Id, Boston, Massdot, "State highway", At(7));

    /// <summary>A history that leaves the case in <paramref name="status"/>. Every opened case was escalated to level 1.</summary>
    public static CaseEvent[] HistoryFor(CaseStatus status) => status switch
    {
        CaseStatus.NotOpened => [],
        CaseStatus.Open => [Opened(), EscalatedTo1()],
        CaseStatus.Assigned => [.. HistoryFor(CaseStatus.Open), AssignedToStreets()],
        CaseStatus.InProgress => [.. HistoryFor(CaseStatus.Assigned), Started()],
        CaseStatus.AwaitingCitizen => [.. HistoryFor(CaseStatus.InProgress), InfoRequested()],
        CaseStatus.Resolved => [.. HistoryFor(CaseStatus.InProgress), Resolved()],
        CaseStatus.Closed => [.. HistoryFor(CaseStatus.Resolved), Closed()],
        CaseStatus.Cancelled => [.. HistoryFor(CaseStatus.Open), Cancelled()],
        CaseStatus.Duplicate => [.. HistoryFor(CaseStatus.Open), MarkedDuplicate()],
        CaseStatus.TransferredOut => [.. HistoryFor(CaseStatus.Open), Transferred()],
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static readonly Instant Now = At(60);

    /// <summary>A command of each kind that is valid in every status that allows the command at all.</summary>
    public static IReadOnlyDictionary<string, CaseCommand> CommandsByAction { get; } = new CaseCommand[]
    {
        Open(),
        new AssignCase(Id, new Assignment(Lighting, Alice), Now),
        new UnassignCase(Id, "Wrong team", Now),
        new StartWork(Id, Now),
        new RequestInformation(Id, "Is it still there?", Channel.Phone, Now),
        new RecordInformationReceived(Id, "Yes, and it is getting bigger", Channel.Phone, Now),
        new AddNote(Id, NoteVisibility.Internal, "Crew scheduled", Now),
        new RecordContact(Id, ContactDirection.Outbound, Channel.Phone, "Called the citizen back", Now),
        new EscalateCase(Id, 2, "Second complaint", Now),
        new DeescalateCase(Id, 0, "School holidays", Now),
        new ChangePriority(Id, CasePriority.High, "Bus route", Now),
        new TransferCase(Id, Massdot, "State highway", Now),
        new ResolveCase(Id, "repaired", "Filled", Now),
        new CloseCase(Id, Now),
        new ReopenCase(Id, "Still broken", Duration.FromDays(30), Now),
        new CancelCase(Id, "Withdrawn", Now),
        new MarkDuplicate(Id, new CaseId("case-77"), null, Now),
        new MergeDuplicate(Id, new CaseId("case-78"), CaseNumber.Parse("BOS-2026-000078"), Now),
        new LinkParentCase(Id, new CaseId("case-1"), [], Now),
        new LinkChildCase(Id, new CaseId("case-200"), [], Now),
        new RecordFeedback(Id, 4, "Quick work", Now),
    }.ToDictionary(c => c.Action, StringComparer.Ordinal);
}

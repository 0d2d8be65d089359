using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using NodaTime;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>
/// Nine Boston cases in March 2026, scripted event by event, with the expected values worked out by hand in the
/// comments. Boston works Monday–Friday 09:00–17:00 America/New_York; 17 March (Evacuation Day) is a holiday; daylight
/// saving time starts on Sunday 8 March (09:00 local is 14:00Z before, 13:00Z after). Potholes have a 16 business-hour
/// target, streetlights 5 calendar days.
/// </summary>
internal static class ScriptedCases
{
    public const string Boston = "boston";

    public static readonly BusinessCalendar Calendar = BusinessCalendar.Weekdays(
        "America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)], [new LocalDate(2026, 3, 17)]);

    public static readonly IAgencyCalendars BostonCalendars = AgencyCalendars.Single(Calendar);

    /// <summary>The instant the queue and SLA queries are asked at: Friday 20 March, 08:00 local.</summary>
    public static readonly Instant Now = Utc(3, 20, 12, 0);

    public static readonly EventMetadata Alice = new("alice", "agent", Reason: null);
    public static readonly EventMetadata Bob = new("bob", "agent");
    public static readonly EventMetadata Sue = new("sue", "supervisor");
    public static readonly EventMetadata Web = new("citizen-portal", "citizen", Channel: "web");

    public static Instant Utc(int month, int day, int hour, int minute) => Instant.FromUtc(2026, month, day, hour, minute);

    /// <summary>Every event in append order: (case, event, metadata).</summary>
    public static IReadOnlyList<(string CaseId, CaseEvent Event, EventMetadata Metadata)> Events { get; } = Script();

    public static StreamName Stream(string caseId) => new(Boston, caseId);

    public static IEnumerable<IGrouping<string, CaseEvent>> ByCase() => Events.GroupBy(e => e.CaseId, e => e.Event);

    private static CaseOpened Opened(string id, int sequence, string service, Instant at, CasePriority priority = CasePriority.Normal, GeoPoint? point = null) => new(
        new CaseId(id), new CaseNumber("BOS", 2026, sequence), new AgencyId(Boston), new ServiceCode(service), "Something is broken",
        new CitizenContact("citizen-" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), "A. Citizen"),
        new CaseLocation(point ?? new GeoPoint(42.35 + (sequence / 1000.0), -71.06), "1 Main St"), Channel.Web,
        new Dictionary<string, IReadOnlyList<string>>(), priority,
        service == "streetlight" ? SlaTarget.CalendarDays(5) : SlaTarget.BusinessHours(16), at);

    private static Assignment Team(string team, string? agent = null) => new(new TeamId(team), agent is null ? null : new AgentId(agent));

    private static List<(string, CaseEvent, EventMetadata)> Script()
    {
        var c1 = new CaseId("case-001");
        var c2 = new CaseId("case-002");
        var c3 = new CaseId("case-003");
        var c4 = new CaseId("case-004");
        var c5 = new CaseId("case-005");
        var c6 = new CaseId("case-006");
        var c7 = new CaseId("case-007");
        var c8 = new CaseId("case-008");
        var c9 = new CaseId("case-009");
        return
        [
            // case-001: opened Mon 2 Mar 10:00 EST, resolved Tue 13:00 EST: 7 h + 4 h = 11 business hours (SLA met), closed Thu.
            ("case-001", Opened("case-001", 1, "pothole", Utc(3, 2, 15, 0)), Web),
            ("case-001", new CaseAssigned(c1, Team("streets", "alice"), Utc(3, 2, 15, 30)), Sue),
            ("case-001", new WorkStarted(c1, Utc(3, 2, 16, 0)), Alice),
            ("case-001", new NoteAdded(c1, NoteVisibility.Internal, "Crew booked", Utc(3, 2, 16, 5)), Alice),
            ("case-001", new CaseResolved(c1, "repaired", "We filled the pothole.", Utc(3, 3, 18, 0)), Alice),
            ("case-001", new FeedbackRecorded(c1, 5, "Quick", Utc(3, 4, 12, 0)), Web),
            ("case-001", new CaseClosed(c1, Utc(3, 5, 15, 0)), Alice),

            // case-002: opened Mon 2 Mar 15:00 EST. Used: Mon 2 h, Tue 8 h, Wed 09–10 1 h = 11 h, then paused (awaiting
            // citizen) Wed 10:00 EST → Mon 9 Mar 10:00 EDT; 5 h left → due Mon 9 Mar 15:00 EDT = 19:00Z. Resolved Thu 12
            // Mar (breached at the due instant: SLA missed), reopened Fri 13, resolved again Mon 16, feedback 2.
            ("case-002", Opened("case-002", 2, "pothole", Utc(3, 2, 20, 0)), Web),
            ("case-002", new CaseEscalated(c2, 0, 1, "Near a school", Utc(3, 3, 14, 30)), Sue),
            ("case-002", new PriorityChanged(c2, CasePriority.Normal, CasePriority.High, "Bus route", Utc(3, 3, 14, 31)), Sue),
            ("case-002", new CaseAssigned(c2, Team("streets", "bob"), Utc(3, 3, 14, 32)), Sue),
            ("case-002", new InformationRequested(c2, "Which side?", Channel.Email, Utc(3, 4, 15, 0)), Bob with { Reason = "Location unclear" }),
            ("case-002", new InformationReceived(c2, "North side", Channel.Email, Utc(3, 9, 14, 0)), Web),
            ("case-002", new WorkStarted(c2, Utc(3, 9, 15, 0)), Bob),
            ("case-002", new CaseResolved(c2, "repaired", "Filled.", Utc(3, 12, 15, 0)), Bob),
            ("case-002", new CaseReopened(c2, "Still broken", Utc(3, 13, 14, 0)), Web),
            ("case-002", new CaseResolved(c2, "repaired", "Filled again.", Utc(3, 16, 17, 0)), Bob),
            ("case-002", new FeedbackRecorded(c2, 2, "Took long", Utc(3, 16, 18, 0)), Web),

            // case-003: streetlight opened Wed 4 Mar 09:00 EST (14:00Z); due 5 calendar days later at 09:00 local, which
            // is EDT by then: Mon 9 Mar 13:00Z. Assigned, then unassigned: Open and unassigned, breached by Now.
            ("case-003", Opened("case-003", 3, "streetlight", Utc(3, 4, 14, 0)), Web),
            ("case-003", new CaseAssigned(c3, Team("lighting", "carol"), Utc(3, 4, 15, 0)), Sue),
            ("case-003", new CaseUnassigned(c3, Team("lighting", "carol"), "Carol is on leave", Utc(3, 5, 15, 0)), Sue),

            // case-004: opened Thu 5 Mar 11:00 EST: Thu 6 h + Fri 8 h = 14 h, 2 h on Mon 9 Mar → due 11:00 EDT = 15:00Z.
            // Escalated to 2 and urgent; in progress, breached by Now.
            ("case-004", Opened("case-004", 4, "pothole", Utc(3, 5, 16, 0)), Web),
            ("case-004", new CaseAssigned(c4, Team("streets", "bob"), Utc(3, 5, 16, 10)), Sue),
            ("case-004", new WorkStarted(c4, Utc(3, 5, 16, 20)), Bob),
            ("case-004", new CaseEscalated(c4, 0, 2, "Council member asked", Utc(3, 6, 14, 0)), Sue),
            ("case-004", new PriorityChanged(c4, CasePriority.Normal, CasePriority.Urgent, null, Utc(3, 6, 14, 1)), Sue with { Reason = "Hazard" }),

            // case-005: opened and cancelled the same Friday.
            ("case-005", Opened("case-005", 5, "pothole", Utc(3, 6, 15, 0)), Web),
            ("case-005", new CaseCancelled(c5, "Withdrawn by the citizen", Utc(3, 6, 16, 0)), Alice),

            // case-006: opened Mon 9 Mar 09:30 EDT, transferred to the state the same morning.
            ("case-006", Opened("case-006", 6, "pothole", Utc(3, 9, 13, 30)), Web),
            ("case-006", new CaseTransferred(c6, new AgencyId(Boston), new AgencyId("massdot"), "State highway", Utc(3, 9, 14, 0)), Sue),

            // case-007: streetlight opened Tue 10 Mar 10:00 EDT, awaiting the citizen since Wed: paused, no due instant.
            ("case-007", Opened("case-007", 7, "streetlight", Utc(3, 10, 14, 0), CasePriority.High), Web),
            ("case-007", new CaseAssigned(c7, Team("lighting", "dave"), Utc(3, 10, 15, 0)), Sue),
            ("case-007", new InformationRequested(c7, "Which pole?", Channel.Phone, Utc(3, 11, 14, 0)), Alice),

            // case-008: opened Mon 16 Mar 10:00 EDT; Tue 17 is a holiday; resolved Wed 16:00 EDT: 7 h + 0 + 7 h = 14 h (met).
            ("case-008", Opened("case-008", 8, "pothole", Utc(3, 16, 14, 0)), Web),
            ("case-008", new CaseAssigned(c8, Team("streets"), Utc(3, 16, 14, 5)), Sue),
            ("case-008", new CaseReassigned(c8, Team("streets"), Team("streets", "alice"), Utc(3, 16, 14, 6)), Sue),
            ("case-008", new CaseResolved(c8, "repaired", "Done.", Utc(3, 18, 20, 0)), Alice),
            ("case-008", new FeedbackRecorded(c8, 4, null, Utc(3, 19, 12, 0)), Web),

            // case-009: opened Tue 31 Mar 22:00 EDT = 1 Apr 02:00Z: a March case locally, an April one in UTC.
            // Resolved Thu 2 Apr 11:00 EDT: Wed 8 h + Thu 2 h = 10 h (met).
            ("case-009", Opened("case-009", 9, "pothole", Utc(4, 1, 2, 0)), Web),
            ("case-009", new CaseAssigned(c9, Team("streets", "alice"), Utc(4, 1, 13, 0)), Sue),
            ("case-009", new CaseResolved(c9, "repaired", "Done.", Utc(4, 2, 15, 0)), Alice),
        ];
    }
}

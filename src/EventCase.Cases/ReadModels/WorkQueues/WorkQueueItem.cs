using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels.CaseSummary;
using NodaTime;

namespace EventCase.Cases.ReadModels.WorkQueues;

/// <summary>One case in a work queue.</summary>
/// <param name="CaseId">The case id.</param>
/// <param name="CaseNumber">The human-readable number.</param>
/// <param name="Service">The service.</param>
/// <param name="Status">The status (an open one).</param>
/// <param name="EscalationLevel">Escalation tier, 0–3.</param>
/// <param name="Priority">The priority.</param>
/// <param name="SlaDue">When the SLA target runs out; null while a pause lasts that began before the target ran out.</param>
/// <param name="SlaBreached">Whether the target is missed as of the query's instant.</param>
/// <param name="Team">The team, if assigned.</param>
/// <param name="Assignee">The agent, if one was picked.</param>
/// <param name="Latitude">Latitude, if known.</param>
/// <param name="Longitude">Longitude, if known.</param>
/// <param name="OpenedAt">When the case opened.</param>
public sealed record WorkQueueItem(
    string CaseId,
    string CaseNumber,
    string Service,
    CaseStatus Status,
    int EscalationLevel,
    CasePriority Priority,
    Instant? SlaDue,
    bool SlaBreached,
    string? Team,
    string? Assignee,
    double? Latitude,
    double? Longitude,
    Instant OpenedAt)
{
    internal static WorkQueueItem From(CaseSummaryRow row, Instant now) => new(
        row.CaseId, row.CaseNumber, row.Service, row.Status, row.EscalationLevel, row.Priority, row.SlaDue, row.IsSlaBreached(now),
        row.Team, row.Assignee, row.Latitude, row.Longitude, row.OpenedAt);
}

/// <summary>Whose queue: the whole agency's, a team's or an agent's.</summary>
public abstract record WorkQueueScope
{
    private WorkQueueScope()
    {
    }

    /// <summary>Every open case of the agency.</summary>
    public static WorkQueueScope Agency { get; } = new AgencyScope();

    /// <summary>The open cases of <paramref name="team"/>.</summary>
    public static WorkQueueScope OfTeam(string team) => new TeamScope(team);

    /// <summary>The open cases assigned to <paramref name="agent"/>.</summary>
    public static WorkQueueScope OfAssignee(string agent) => new AssigneeScope(agent);

    /// <summary>The agency-wide queue.</summary>
    public sealed record AgencyScope : WorkQueueScope;

    /// <summary>A team's queue.</summary>
    /// <param name="Team">The team.</param>
    public sealed record TeamScope(string Team) : WorkQueueScope;

    /// <summary>An agent's queue.</summary>
    /// <param name="Agent">The agent.</param>
    public sealed record AssigneeScope(string Agent) : WorkQueueScope;
}

/// <summary>A rectangle of latitude and longitude (inclusive), e.g. the map's viewport.</summary>
/// <param name="South">Smallest latitude.</param>
/// <param name="West">Smallest longitude.</param>
/// <param name="North">Largest latitude.</param>
/// <param name="East">Largest longitude.</param>
public sealed record BoundingBox(double South, double West, double North, double East);

/// <summary>Filters on a work queue; all optional, combined with AND.</summary>
/// <param name="Statuses">Only these (open) statuses.</param>
/// <param name="Service">Only this service.</param>
/// <param name="Unassigned">Only cases no agent has picked (true), or only picked ones (false).</param>
/// <param name="Breached">Only cases whose SLA target is missed as of the query instant (true), or only the others (false).</param>
/// <param name="Area">Only cases located in this box.</param>
public sealed record WorkQueueFilter(
    IReadOnlyList<CaseStatus>? Statuses = null,
    string? Service = null,
    bool? Unassigned = null,
    bool? Breached = null,
    BoundingBox? Area = null);

namespace EventCase.Cases.Lifecycle;

/// <summary>
/// Where a case is in its lifecycle. See <c>docs/case-lifecycle.md</c> for the table of which command is allowed in
/// which status and where it leads.
/// </summary>
public enum CaseStatus
{
    /// <summary>No case yet: the stream is empty. Only <c>OpenCase</c> is allowed.</summary>
    NotOpened,

    /// <summary>Opened, new and unassigned.</summary>
    Open,

    /// <summary>Assigned to a team (and maybe an agent), work not started.</summary>
    Assigned,

    /// <summary>Someone is working on it.</summary>
    InProgress,

    /// <summary>Waiting on information from the citizen; the SLA clock is paused.</summary>
    AwaitingCitizen,

    /// <summary>Resolved; may still be reopened within the reopen window, or closed. The SLA clock is paused.</summary>
    Resolved,

    /// <summary>Closed for good.</summary>
    Closed,

    /// <summary>Cancelled (withdrawn, invalid, or not the agency's business).</summary>
    Cancelled,

    /// <summary>Merged into another case it duplicates.</summary>
    Duplicate,

    /// <summary>Handed over to another agency, which carries on under its own case. Final for this agency.</summary>
    TransferredOut,
}

/// <summary>Groups of statuses the rules talk about.</summary>
public static class CaseStatuses
{
    /// <summary>Every status, in lifecycle order.</summary>
    public static IReadOnlyList<CaseStatus> All { get; } = Enum.GetValues<CaseStatus>();

    /// <summary>The statuses of an open case: one still being worked (Open, Assigned, InProgress, AwaitingCitizen).</summary>
    public static IReadOnlyList<CaseStatus> Active { get; } =
        [CaseStatus.Open, CaseStatus.Assigned, CaseStatus.InProgress, CaseStatus.AwaitingCitizen];

    /// <summary>True for Open, Assigned, InProgress and AwaitingCitizen.</summary>
    public static bool IsActive(this CaseStatus status) =>
        status is CaseStatus.Open or CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen;

    /// <summary>True for the statuses no command leads out of (Closed, Cancelled, Duplicate, TransferredOut).</summary>
    public static bool IsFinal(this CaseStatus status) =>
        status is CaseStatus.Closed or CaseStatus.Cancelled or CaseStatus.Duplicate or CaseStatus.TransferredOut;
}

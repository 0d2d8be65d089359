using System.Globalization;
using EventCase.Cases.Catalog;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Cases.Lifecycle;

/// <summary>
/// Why the decider refused a command: a value, never an exception. <see cref="Message"/> names the case, its status
/// and the rule in plain words ("case BOS-2026-000102 is Resolved; Assign needs an open case (…)");
/// <see cref="Code"/> is a stable machine-readable code for problem details.
/// </summary>
/// <param name="CaseLabel">The case number, or the case id when the case does not exist.</param>
/// <param name="Status">The case's status when the command was refused.</param>
/// <param name="Action">The refused command ("Assign").</param>
/// <param name="Message">The rule, in plain words.</param>
public abstract record CaseRejection(string CaseLabel, CaseStatus Status, string Action, string Message)
{
    /// <summary>A stable code for the kind of rejection, e.g. <c>case.invalid-status</c>.</summary>
    public abstract string Code { get; }

    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>The command needs an existing case, but the stream is empty.</summary>
/// <param name="CaseLabel">The case id.</param>
/// <param name="Action">The refused command.</param>
public sealed record CaseNotFound(string CaseLabel, string Action)
    : CaseRejection(CaseLabel, CaseStatus.NotOpened, Action, $"case {CaseLabel} does not exist; {Action} needs an opened case")
{
    /// <inheritdoc />
    public override string Code => "case.not-found";
}

/// <summary>An open command for a case that is already open.</summary>
/// <param name="CaseLabel">The case number.</param>
/// <param name="Status">Its status.</param>
public sealed record CaseAlreadyOpened(string CaseLabel, CaseStatus Status)
    : CaseRejection(CaseLabel, Status, "Open", $"case {CaseLabel} is {Status}; Open needs a case that does not exist yet")
{
    /// <inheritdoc />
    public override string Code => "case.already-opened";
}

/// <summary>The command is not allowed in the case's current status.</summary>
/// <param name="CaseLabel">The case number.</param>
/// <param name="Status">Its status.</param>
/// <param name="Action">The refused command.</param>
/// <param name="Requirement">What the command needs, e.g. "an open case (Open, Assigned, InProgress or AwaitingCitizen)".</param>
public sealed record CommandNotAllowedInStatus(string CaseLabel, CaseStatus Status, string Action, string Requirement)
    : CaseRejection(CaseLabel, Status, Action, $"case {CaseLabel} is {Status}; {Action} needs {Requirement}")
{
    /// <inheritdoc />
    public override string Code => "case.invalid-status";
}

/// <summary>A reopen after the reopen window has closed.</summary>
/// <param name="CaseLabel">The case number.</param>
/// <param name="ResolvedAt">When the case was resolved.</param>
/// <param name="Window">How long after resolution a reopen is allowed.</param>
/// <param name="Now">When the reopen was asked for.</param>
public sealed record ReopenWindowElapsed(string CaseLabel, Instant ResolvedAt, Duration Window, Instant Now)
    : CaseRejection(
        CaseLabel,
        CaseStatus.Resolved,
        "Reopen",
        $"case {CaseLabel} is Resolved since {InstantPattern.General.Format(ResolvedAt)}; Reopen is only allowed within {Describe(Window)} of resolution, which ended at {InstantPattern.General.Format(ResolvedAt + Window)}")
{
    /// <inheritdoc />
    public override string Code => "case.reopen-window-elapsed";

    private static string Describe(Duration window) =>
        window.BclCompatibleTicks % NodaConstants.TicksPerDay == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{window.Days} days")
            : string.Create(CultureInfo.InvariantCulture, $"{window.TotalHours:0.##} hours");
}

/// <summary>An escalation outside tiers 1–3, or one that does not move the level the right way.</summary>
/// <param name="CaseLabel">The case number.</param>
/// <param name="Status">Its status.</param>
/// <param name="Action">Escalate or Deescalate.</param>
/// <param name="CurrentLevel">The level now (0 = not escalated).</param>
/// <param name="RequestedLevel">The level asked for.</param>
/// <param name="Message">The rule, in plain words.</param>
public sealed record InvalidEscalationLevel(string CaseLabel, CaseStatus Status, string Action, int CurrentLevel, int RequestedLevel, string Message)
    : CaseRejection(CaseLabel, Status, Action, Message)
{
    /// <inheritdoc />
    public override string Code => "case.invalid-escalation-level";
}

/// <summary>What is wrong with a duplicate or parent/child link.</summary>
public enum CaseLinkProblem
{
    /// <summary>The case would be linked to itself.</summary>
    SelfReference,

    /// <summary>The link would make a case its own ancestor.</summary>
    Cycle,

    /// <summary>The case already has a different parent.</summary>
    AlreadyHasParent,

    /// <summary>The case to merge into does not carry on: it was cancelled, merged into another case or transferred out.</summary>
    OriginalDoesNotCarryOn,

    /// <summary>Other cases were merged into the case as its duplicates, so it must carry their requests on: it cannot be cancelled or merged itself.</summary>
    HasDuplicates,
}

/// <summary>A duplicate mark or parent/child link that would make no sense.</summary>
/// <param name="CaseLabel">The case number.</param>
/// <param name="Status">Its status.</param>
/// <param name="Action">The refused command.</param>
/// <param name="OtherCase">The other case of the link.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Message">The rule, in plain words.</param>
public sealed record InvalidCaseLink(string CaseLabel, CaseStatus Status, string Action, CaseId OtherCase, CaseLinkProblem Problem, string Message)
    : CaseRejection(CaseLabel, Status, Action, Message)
{
    /// <inheritdoc />
    public override string Code => Problem switch
    {
        CaseLinkProblem.SelfReference => "case.link-to-itself",
        CaseLinkProblem.Cycle => "case.link-cycle",
        CaseLinkProblem.OriginalDoesNotCarryOn => "case.original-does-not-carry-on",
        CaseLinkProblem.HasDuplicates => "case.has-duplicates",
        _ => "case.already-has-parent",
    };
}

/// <summary>An open request whose attributes do not match the service definition; one error per bad attribute.</summary>
/// <param name="CaseLabel">The case number being opened.</param>
/// <param name="Service">The service requested.</param>
/// <param name="Errors">Every problem found, not just the first.</param>
public sealed record InvalidServiceAttributes(string CaseLabel, ServiceCode Service, IReadOnlyList<AttributeError> Errors)
    : CaseRejection(
        CaseLabel,
        CaseStatus.NotOpened,
        "Open",
        $"case {CaseLabel} is NotOpened; Open needs attributes that match service '{Service}': {string.Join("; ", Errors.Select(e => e.Message))}")
{
    /// <inheritdoc />
    public override string Code => "case.invalid-attributes";
}

/// <summary>An open request for a service the catalog has retired.</summary>
/// <param name="CaseLabel">The case number being opened.</param>
/// <param name="Service">The retired service.</param>
public sealed record ServiceNotOffered(string CaseLabel, ServiceCode Service)
    : CaseRejection(CaseLabel, CaseStatus.NotOpened, "Open", $"case {CaseLabel} is NotOpened; Open needs a service the catalog offers, and '{Service}' is retired")
{
    /// <inheritdoc />
    public override string Code => "case.service-not-offered";
}

/// <summary>A second feedback for the same resolution.</summary>
/// <param name="CaseLabel">The case number.</param>
/// <param name="Status">Its status.</param>
public sealed record FeedbackAlreadyRecorded(string CaseLabel, CaseStatus Status)
    : CaseRejection(CaseLabel, Status, "RecordFeedback", $"case {CaseLabel} is {Status}; RecordFeedback accepts one feedback per resolution and it was already given")
{
    /// <inheritdoc />
    public override string Code => "case.feedback-already-recorded";
}

/// <summary>A command whose own input breaks a rule (a blank reason, a satisfaction of 7, a transfer to the same agency).</summary>
/// <param name="CaseLabel">The case number (or id).</param>
/// <param name="Status">Its status.</param>
/// <param name="Action">The refused command.</param>
/// <param name="Field">The offending field.</param>
/// <param name="Problem">What is wrong with it.</param>
public sealed record InvalidCommandInput(string CaseLabel, CaseStatus Status, string Action, string Field, string Problem)
    : CaseRejection(CaseLabel, Status, Action, $"case {CaseLabel} is {Status}; {Action} needs {Problem}")
{
    /// <inheritdoc />
    public override string Code => "case.invalid-input";
}

using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.MarkingDuplicate;

/// <summary>
/// Marks an open case as a duplicate of (merged into) another case of the agency, which carries on: an open, resolved
/// or closed case, not one that was cancelled, merged itself or transferred out (merging into those would leave no case
/// carrying the request, and merging into a duplicate would let two cases be merged into each other). A case that
/// duplicates were merged into is not merged itself: it carries their requests.
/// </summary>
/// <remarks>
/// A merge is two facts on two streams: <see cref="CaseMarkedDuplicate"/> on the duplicate and
/// <see cref="DuplicateCaseMerged"/> on the original. <c>CaseCommandHandler</c> loads the original itself, decides both
/// sides on the cases as they are
/// and appends both in one multi-stream append at the versions it decided on, so a concurrent change to the original
/// (a cancel, its own merge, a transfer) makes it decide again (decision 0021). <see cref="CaseDecider.Decide"/> given
/// this command alone decides the duplicate's side only.
/// </remarks>
/// <param name="CaseId">The duplicate case.</param>
/// <param name="OriginalCaseId">The case it duplicates.</param>
/// <param name="OriginalNumber">The original's number, if known; the handler records the number of the original it
/// loads.</param>
/// <param name="Now">The current instant.</param>
public sealed record MarkDuplicate(CaseId CaseId, CaseId OriginalCaseId, CaseNumber? OriginalNumber, Instant Now)
    : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "MarkDuplicate";
}

/// <summary>
/// Records on the original that a duplicate was merged into it: the original's side of a <see cref="MarkDuplicate"/>,
/// which the handler decides and appends with it; never sent on its own.
/// </summary>
/// <param name="CaseId">The original.</param>
/// <param name="DuplicateCaseId">The duplicate merged into it.</param>
/// <param name="DuplicateNumber">The duplicate's number.</param>
/// <param name="Now">The current instant.</param>
internal sealed record MergeDuplicate(CaseId CaseId, CaseId DuplicateCaseId, CaseNumber DuplicateNumber, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "MergeDuplicate";
}

/// <summary>The case was merged into another one it duplicates.</summary>
/// <param name="CaseId">The duplicate case.</param>
/// <param name="OriginalCaseId">The case it duplicates.</param>
/// <param name="OriginalNumber">The original's number, if known.</param>
/// <param name="At">When.</param>
[EventType("case.marked-duplicate.v1")]
public sealed record CaseMarkedDuplicate(CaseId CaseId, CaseId OriginalCaseId, CaseNumber? OriginalNumber, Instant At) : CaseEvent(CaseId, At);

/// <summary>
/// Another case was merged into this one as its duplicate: the original's side of <see cref="CaseMarkedDuplicate"/>,
/// appended with it. It changes neither the original's status nor its SLA clock (a resolved or closed original stays
/// so). Duplicates marked before decision 0021, and imported ones, have no such event on their original.
/// </summary>
/// <param name="CaseId">The original, which carries the request on.</param>
/// <param name="DuplicateCaseId">The duplicate merged into it.</param>
/// <param name="DuplicateNumber">The duplicate's number, for people reading the original's history.</param>
/// <param name="At">When.</param>
[EventType("case.duplicate-merged.v1")]
public sealed record DuplicateCaseMerged(CaseId CaseId, CaseId DuplicateCaseId, CaseNumber? DuplicateNumber, Instant At) : CaseEvent(CaseId, At);

/// <summary>What a merge writes on each of its two cases, or why it is refused (then nothing is written on either).</summary>
/// <param name="Rejection">The refusal, told as the duplicate's (the case the command was sent to); null when accepted.</param>
/// <param name="OnDuplicate">The duplicate's events.</param>
/// <param name="OnOriginal">The original's events.</param>
internal sealed record DuplicateMergeDecision(CaseRejection? Rejection, IReadOnlyList<CaseEvent> OnDuplicate, IReadOnlyList<CaseEvent> OnOriginal);

internal static class MarkingDuplicateRules
{
    private const string CarriesOnRequirement = "open, Resolved or Closed";

    /// <summary>The duplicate's side: an open case, merged into another one, and carrying no duplicates itself.</summary>
    public static DecisionResult Decide(MarkDuplicate command, OpenedCase state) =>
        RefusalBeforeTheOriginal(command, state)
        ?? RequireNoDuplicates(state, command, MergeTheOtherWay)
        ?? (DecisionResult)new CaseMarkedDuplicate(command.CaseId, command.OriginalCaseId, command.OriginalNumber, command.Now);

    /// <summary>
    /// The duplicate's refusals that need no look at the original: it is not open, or it is the original itself. The
    /// handler asks these before it loads the original.
    /// </summary>
    public static CaseRejection? RefusalBeforeTheOriginal(MarkDuplicate command, OpenedCase state) =>
        Rules.RequireActive(state, command)
        ?? (command.OriginalCaseId == state.Id
            ? new InvalidCaseLink(state.Label, state.Status, command.Action, command.OriginalCaseId, CaseLinkProblem.SelfReference,
                $"case {state.Label} is {state.Status}; MarkDuplicate needs another case, and a case cannot duplicate itself")
            : null);

    private const string MergeTheOtherWay = "merge the other case into this one instead";

    /// <summary>The original's side: a case that carries on takes the duplicate in (once).</summary>
    public static DecisionResult Decide(MergeDuplicate command, OpenedCase state)
    {
        if (command.DuplicateCaseId == state.Id)
        {
            return new InvalidCaseLink(state.Label, state.Status, command.Action, command.DuplicateCaseId, CaseLinkProblem.SelfReference,
                $"case {state.Label} is {state.Status}; MergeDuplicate needs another case, and a case cannot duplicate itself");
        }

        if (!CarriesOn(state.Status))
        {
            return new InvalidCaseLink(state.Label, state.Status, command.Action, command.DuplicateCaseId, CaseLinkProblem.OriginalDoesNotCarryOn,
                $"case {state.Label} is {state.Status}; MergeDuplicate needs a case that carries on ({CarriesOnRequirement}), or nobody carries the duplicate's request");
        }

        return state.Duplicates.Contains(command.DuplicateCaseId)
            ? DecisionResult.NothingToDo
            : new DuplicateCaseMerged(command.CaseId, command.DuplicateCaseId, command.DuplicateNumber, command.Now);
    }

    /// <summary>
    /// Both sides of a merge, each decided on its own case as it is: the duplicate's status first (an open case, not the
    /// original itself), then the original's rules (it carries on), then the duplicate's last one (it carries no
    /// duplicates of its own). A refusal by the original is told as the duplicate's, naming the original and its status:
    /// so the loser of two cases merged into each other at once hears that its original no longer carries on. Pure.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="original"/> is not the command's original.</exception>
    public static DuplicateMergeDecision Decide(MarkDuplicate command, OpenedCase duplicate, OpenedCase original)
    {
        if (original.Id != command.OriginalCaseId)
        {
            throw new ArgumentException($"The original loaded is case '{original.Id}', not the command's '{command.OriginalCaseId}'.", nameof(original));
        }

        if (RefusalBeforeTheOriginal(command, duplicate) is { } refused)
        {
            return new DuplicateMergeDecision(refused, [], []);
        }

        var merging = Decide(new MergeDuplicate(original.Id, duplicate.Id, duplicate.Number, command.Now), original);
        if (merging.Rejection is { } notTaken)
        {
            return new DuplicateMergeDecision(
                notTaken is InvalidCaseLink { Problem: CaseLinkProblem.OriginalDoesNotCarryOn }
                    ? new InvalidCaseLink(duplicate.Label, duplicate.Status, command.Action, original.Id, CaseLinkProblem.OriginalDoesNotCarryOn,
                        $"case {duplicate.Label} is {duplicate.Status}; MarkDuplicate needs an original that carries on ({CarriesOnRequirement}), and case {original.Label} is {original.Status}")
                    : notTaken,
                [],
                []);
        }

        var marking = Decide(command with { OriginalNumber = original.Number }, duplicate);
        return marking.Rejection is { } carrying
            ? new DuplicateMergeDecision(carrying, [], [])
            : new DuplicateMergeDecision(null, marking.Events, merging.Events);
    }

    /// <summary>
    /// Refuses to end a case that duplicates were merged into other than by resolving it (a cancel, its own merge): it
    /// carries their requests, which would be left merged into a case nobody works, the loss a merge is checked against
    /// (decision 0021). Its duplicates are known from the merges that recorded its side; those marked before, and
    /// imported ones, are not, and do not stop it. <paramref name="remedy"/> says what to do instead.
    /// </summary>
    public static InvalidCaseLink? RequireNoDuplicates(OpenedCase state, CaseCommand command, string remedy) => state.Duplicates.Count == 0
        ? null
        : new InvalidCaseLink(state.Label, state.Status, command.Action, state.Duplicates[^1], CaseLinkProblem.HasDuplicates,
            $"case {state.Label} is {state.Status}; {command.Action} needs a case no other case was merged into, and {DuplicatesOf(state)} merged into it as a duplicate: {remedy}");

    private static string DuplicatesOf(OpenedCase state) => state.Duplicates.Count == 1
        ? $"case {state.Duplicates[0]} was"
        : $"cases {string.Join(", ", state.Duplicates)} were";

    private static bool CarriesOn(CaseStatus status) => status.IsActive() || status is CaseStatus.Resolved or CaseStatus.Closed;

    public static OpenedCase Apply(OpenedCase state, CaseMarkedDuplicate marked) =>
        state with { Status = CaseStatus.Duplicate, DuplicateOf = marked.OriginalCaseId };

    public static OpenedCase Apply(OpenedCase state, DuplicateCaseMerged merged) =>
        state.Duplicates.Contains(merged.DuplicateCaseId) ? state : state with { Duplicates = [.. state.Duplicates, merged.DuplicateCaseId] };
}

using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Linking;

/// <summary>
/// Makes this case a child of another. A link is two facts on two streams (the child records its parent, the parent
/// its child); <c>CaseCommandHandler</c>, sent either command, decides <see cref="LinkParentCase"/> on the child and
/// <see cref="LinkChildCase"/> on the parent and appends both at once. Cycles are caught from the ancestry on the command
/// (which the handler looks up itself), so the decision stays pure.
/// </summary>
/// <param name="CaseId">The child-to-be.</param>
/// <param name="ParentCaseId">The parent-to-be.</param>
/// <param name="ParentAncestry">The parent's ancestors (its parent, grandparent, …), as currently known.</param>
/// <param name="Now">The current instant.</param>
public sealed record LinkParentCase(CaseId CaseId, CaseId ParentCaseId, IReadOnlyList<CaseId> ParentAncestry, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "LinkParent";
}

/// <summary>Records a child case under this one; the counterpart of <see cref="LinkParentCase"/>.</summary>
/// <param name="CaseId">The parent-to-be.</param>
/// <param name="ChildCaseId">The child-to-be.</param>
/// <param name="OwnAncestry">This case's own ancestors (parent, grandparent, …), as currently known.</param>
/// <param name="Now">The current instant.</param>
public sealed record LinkChildCase(CaseId CaseId, CaseId ChildCaseId, IReadOnlyList<CaseId> OwnAncestry, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "LinkChild";
}

/// <summary>The case became a child of another.</summary>
/// <param name="CaseId">The child.</param>
/// <param name="ParentCaseId">The parent.</param>
/// <param name="At">When.</param>
[EventType("case.parent-linked.v1")]
public sealed record ParentCaseLinked(CaseId CaseId, CaseId ParentCaseId, Instant At) : CaseEvent(CaseId, At);

/// <summary>Another case became a child of this one.</summary>
/// <param name="CaseId">The parent.</param>
/// <param name="ChildCaseId">The child.</param>
/// <param name="At">When.</param>
[EventType("case.child-linked.v1")]
public sealed record ChildCaseLinked(CaseId CaseId, CaseId ChildCaseId, Instant At) : CaseEvent(CaseId, At);

internal static class LinkingRules
{
    public static DecisionResult Decide(LinkParentCase command, OpenedCase state)
    {
        var parent = command.ParentCaseId;
        if (parent == state.Id)
        {
            return Reject(state, command, parent, CaseLinkProblem.SelfReference, "another case as parent: a case cannot be its own parent");
        }

        if (command.ParentAncestry.Contains(state.Id) || state.Children.Contains(parent))
        {
            return Reject(state, command, parent, CaseLinkProblem.Cycle,
                $"a parent that does not descend from it: case {parent} descends from case {state.Label}, and a case cannot become a child of its own descendant");
        }

        if (state.Parent == parent)
        {
            return DecisionResult.NothingToDo;
        }

        return state.Parent is { } other
            ? Reject(state, command, parent, CaseLinkProblem.AlreadyHasParent, $"a case without a parent, and it is already a child of case {other}")
            : new ParentCaseLinked(command.CaseId, parent, command.Now);
    }

    public static DecisionResult Decide(LinkChildCase command, OpenedCase state)
    {
        var child = command.ChildCaseId;
        if (child == state.Id)
        {
            return Reject(state, command, child, CaseLinkProblem.SelfReference, "another case as child: a case cannot be its own child");
        }

        if (command.OwnAncestry.Contains(child) || state.Parent == child)
        {
            return Reject(state, command, child, CaseLinkProblem.Cycle,
                $"a child that is not one of its ancestors: case {child} is an ancestor of case {state.Label}, and a case cannot become a child of its own descendant");
        }

        return state.Children.Contains(child)
            ? DecisionResult.NothingToDo
            : new ChildCaseLinked(command.CaseId, child, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, ParentCaseLinked linked) => state with { Parent = linked.ParentCaseId };

    public static OpenedCase Apply(OpenedCase state, ChildCaseLinked linked) =>
        state with { Children = [.. state.Children, linked.ChildCaseId] };

    private static InvalidCaseLink Reject(OpenedCase state, CaseCommand command, CaseId other, CaseLinkProblem problem, string rule) =>
        new(state.Label, state.Status, command.Action, other, problem, $"case {state.Label} is {state.Status}; {command.Action} needs {rule}");
}

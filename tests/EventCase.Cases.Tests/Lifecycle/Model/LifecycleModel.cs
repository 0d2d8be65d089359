using EventCase.Cases.Lifecycle;
using NodaTime;

namespace EventCase.Cases.Tests.Lifecycle.Model;

/// <summary>
/// A reference model of the case lifecycle written from <c>docs/case-lifecycle.md</c>, <c>docs/command-handling.md</c>,
/// <c>docs/read-models.md</c> and decisions 0020 and 0021, not from the product's code: what each command does to the
/// cases of several agencies, which events each case's stream gains, and which refusal codes the docs allow when a
/// command is refused. Where the docs name several problems of one command without saying which is told first, every
/// one of them is allowed. It shares nothing with the product but the names of statuses, priorities and event types.
/// </summary>
internal sealed class LifecycleModel
{
    public const string NotFound = "case.not-found";
    public const string AlreadyOpened = "case.already-opened";
    public const string InvalidStatus = "case.invalid-status";
    public const string InvalidInput = "case.invalid-input";
    public const string InvalidLevel = "case.invalid-escalation-level";
    public const string WindowElapsed = "case.reopen-window-elapsed";
    public const string FeedbackGiven = "case.feedback-already-recorded";
    public const string ToItself = "case.link-to-itself";
    public const string Cycle = "case.link-cycle";
    public const string HasParent = "case.already-has-parent";
    public const string DoesNotCarryOn = "case.original-does-not-carry-on";
    public const string HasDuplicates = "case.has-duplicates";

    /// <summary>A transfer to an agency with no catalog: answered before deciding, not a case rejection.</summary>
    public const string UnknownAgency = "transfer.unknown-agency";

    private readonly Dictionary<string, ModelCase> _cases = new(StringComparer.Ordinal);

    /// <summary>"Open status" in the docs: Open, Assigned, InProgress or AwaitingCitizen.</summary>
    public static bool IsOpen(CaseStatus status) =>
        status is CaseStatus.Open or CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen;

    /// <summary>The statuses no command leads out of: Closed, Cancelled, Duplicate, TransferredOut.</summary>
    public static bool IsFinal(CaseStatus status) =>
        status is CaseStatus.Closed or CaseStatus.Cancelled or CaseStatus.Duplicate or CaseStatus.TransferredOut;

    /// <summary>The agencies with a catalog (those a transfer may go to), with the team their routing gives a pothole, if any.</summary>
    public Dictionary<string, string?> Agencies { get; } = new(StringComparer.Ordinal);

    public IEnumerable<ModelCase> Cases => _cases.Values;

    public ModelCase? Find(string agency, string id) => _cases.GetValueOrDefault(Key(agency, id));

    public static string Key(string agency, string id) => agency + "/" + id;

    public Outcome Open(string agency, string id, string? routedTo, CasePriority priority, Instant now)
    {
        if (Find(agency, id) is { } existing)
        {
            return Outcome.Refused(existing, AlreadyOpened);
        }

        return Outcome.Accept(receiving =>
        {
            var opened = Add(agency, id, receiving!.Value.Number, priority, now);
            if (routedTo is not null)
            {
                Assign(opened, routedTo, null, now);
            }
        }, (Key(agency, id), routedTo is null ? [Ev.Opened] : [Ev.Opened, Ev.Assigned]));
    }

    private ModelCase Add(string agency, string id, string number, CasePriority priority, Instant now)
    {
        var opened = new ModelCase(agency, id, number, priority, now);
        opened.Events.Add(Ev.Opened);
        _cases.Add(Key(agency, id), opened);
        return opened;
    }

    private static void Assign(ModelCase c, string team, string? agent, Instant now)
    {
        (c.Team, c.Agent) = (team, agent);
        c.Events.Add(Ev.Assigned);
        c.Move(CaseStatus.Assigned, now);
    }

    /// <summary>The outcome of a command sent by <paramref name="agency"/> to its case <paramref name="id"/>.</summary>
    public Outcome Decide(string agency, string id, Step step, Instant now)
    {
        if (Find(agency, id) is not { } c)
        {
            // Another agency's case is not there, exactly as one that does not exist.
            return Outcome.Refused(null, NotFound);
        }

        var s = c.Status;
        var active = IsOpen(s);
        switch (step)
        {
            case Step.Assign a:
                if (!active)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                if (s == CaseStatus.Open)
                {
                    return One(c, Ev.Assigned, () => { (c.Team, c.Agent) = (a.Team, a.Agent); c.Move(CaseStatus.Assigned, now); });
                }

                return (c.Team, c.Agent) == (a.Team, a.Agent)
                    ? Outcome.NothingToDo
                    : One(c, Ev.Reassigned, () => (c.Team, c.Agent) = (a.Team, a.Agent));

            case Step.Unassign:
                return s is CaseStatus.Assigned or CaseStatus.InProgress
                    ? One(c, Ev.Unassigned, () => { (c.Team, c.Agent) = (null, null); c.Move(CaseStatus.Open, now); })
                    : Outcome.Refused(c, InvalidStatus);

            case Step.StartWork:
                return s == CaseStatus.Assigned ? One(c, Ev.WorkStarted, () => c.Move(CaseStatus.InProgress, now)) : Outcome.Refused(c, InvalidStatus);

            case Step.RequestInformation:
                return s == CaseStatus.InProgress ? One(c, Ev.InformationRequested, () => c.Move(CaseStatus.AwaitingCitizen, now)) : Outcome.Refused(c, InvalidStatus);

            case Step.InformationReceived:
                return s == CaseStatus.AwaitingCitizen ? One(c, Ev.InformationReceived, () => c.Move(CaseStatus.InProgress, now)) : Outcome.Refused(c, InvalidStatus);

            case Step.AddNote:
                return One(c, Ev.NoteAdded, () => { });

            case Step.RecordContact:
                return One(c, Ev.CitizenContacted, () => { });

            case Step.Escalate e:
            {
                if (!active)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                var problems = Problems(
                    (e.ToLevel is < 1 or > 3 || e.ToLevel <= c.Level, InvalidLevel),
                    (string.IsNullOrWhiteSpace(e.Reason), InvalidInput));
                return problems.Count > 0 ? Outcome.Refused(c, problems) : One(c, Ev.Escalated, () => c.Level = e.ToLevel);
            }

            case Step.Deescalate d:
            {
                if (!active)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                var problems = Problems(
                    (c.Level == 0 || d.ToLevel < 0 || d.ToLevel >= c.Level, InvalidLevel),
                    (string.IsNullOrWhiteSpace(d.Reason), InvalidInput));
                return problems.Count > 0 ? Outcome.Refused(c, problems) : One(c, Ev.Deescalated, () => c.Level = d.ToLevel);
            }

            case Step.ChangePriority p:
                if (!active)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                return p.To == c.Priority ? Outcome.NothingToDo : One(c, Ev.PriorityChanged, () => c.Priority = p.To);

            case Step.Transfer t:
            {
                // Unknown agencies are refused "before deciding" (the table), the case's own rules first (the handler
                // docs): the docs allow either order.
                var problems = Problems(
                    (!active, InvalidStatus),
                    (!Agencies.ContainsKey(t.ToAgency) && t.ToAgency != agency, UnknownAgency),
                    (active && (t.ToAgency == agency || string.IsNullOrWhiteSpace(t.Reason)), InvalidInput));
                if (problems.Count > 0)
                {
                    return Outcome.Refused(c, problems);
                }

                var team = Agencies[t.ToAgency];
                return Outcome.Accept(
                    receiving =>
                    {
                        c.Events.Add(Ev.Transferred);
                        (c.TransferredTo, c.TransferredToNumber) = (t.ToAgency, receiving!.Value.Number);
                        c.Move(CaseStatus.TransferredOut, now);
                        var taken = Add(t.ToAgency, receiving.Value.Id, receiving.Value.Number, c.Priority, now);
                        (taken.TransferredFromAgency, taken.TransferredFromNumber) = (agency, c.Number);
                        if (team is not null)
                        {
                            Assign(taken, team, null, now);
                        }
                    },
                    (Key(agency, id), [Ev.Transferred]));
            }

            case Step.Resolve r:
                if (s is not (CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen))
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                return string.IsNullOrWhiteSpace(r.Code)
                    ? Outcome.Refused(c, InvalidInput)
                    : One(c, Ev.Resolved, () =>
                    {
                        c.ResolvedAt = now;
                        c.FirstResolvedAt ??= now;
                        c.FeedbackForThisResolution = false;
                        c.Move(CaseStatus.Resolved, now);
                    });

            case Step.Close:
                return s == CaseStatus.Resolved ? One(c, Ev.Closed, () => { c.ClosedAt = now; c.Move(CaseStatus.Closed, now); }) : Outcome.Refused(c, InvalidStatus);

            case Step.Reopen r:
            {
                if (s != CaseStatus.Resolved)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                var problems = Problems(
                    (now - c.ResolvedAt!.Value > r.Window, WindowElapsed),
                    (string.IsNullOrWhiteSpace(r.Reason), InvalidInput));
                return problems.Count > 0
                    ? Outcome.Refused(c, problems)
                    : One(c, Ev.Reopened, () =>
                    {
                        c.ReopenCount++;
                        c.ResolvedAt = null;
                        c.FeedbackForThisResolution = false;
                        c.Move(c.Team is null ? CaseStatus.Open : CaseStatus.Assigned, now);
                    });
            }

            case Step.Cancel x:
            {
                if (!active)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                var problems = Problems((c.Duplicates.Count > 0, HasDuplicates), (string.IsNullOrWhiteSpace(x.Reason), InvalidInput));
                return problems.Count > 0 ? Outcome.Refused(c, problems) : One(c, Ev.Cancelled, () => c.Move(CaseStatus.Cancelled, now));
            }

            case Step.MarkDuplicate m:
            {
                // The duplicate's own refusals first (not open, its own original), then the original is looked up.
                if (!active)
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                if (m.Original == id)
                {
                    return Outcome.Refused(c, ToItself);
                }

                if (Find(agency, m.Original) is not { } original)
                {
                    return Outcome.Refused(c, NotFound, m.Original);
                }

                var carriesOn = IsOpen(original.Status) || original.Status is CaseStatus.Resolved or CaseStatus.Closed;
                var problems = Problems((!carriesOn, DoesNotCarryOn), (c.Duplicates.Count > 0, HasDuplicates));
                return problems.Count > 0
                    ? Outcome.Refused(c, problems)
                    : Outcome.Accept(
                        _ =>
                        {
                            c.Events.Add(Ev.MarkedDuplicate);
                            c.DuplicateOf = original.Id;
                            c.Move(CaseStatus.Duplicate, now);
                            original.Events.Add(Ev.DuplicateMerged);
                            original.Duplicates.Add(c.Id);
                            original.LastAt = now;
                        },
                        (Key(agency, id), [Ev.MarkedDuplicate]),
                        (Key(agency, original.Id), [Ev.DuplicateMerged]));
            }

            case Step.Link l:
            {
                if (l.Other == id)
                {
                    return Outcome.Refused(c, ToItself);
                }

                if (Find(agency, l.Other) is not { } other)
                {
                    return Outcome.Refused(c, NotFound, l.Other);
                }

                var (child, parent) = l.AsParent ? (c, other) : (other, c);
                var problems = Problems(
                    (AncestorsOf(parent).Contains(child.Id), Cycle),
                    (child.Parent is not null && child.Parent != parent.Id, HasParent));
                if (problems.Count > 0)
                {
                    return Outcome.Refused(c, problems);
                }

                return child.Parent == parent.Id
                    ? Outcome.NothingToDo
                    : Outcome.Accept(
                        _ =>
                        {
                            child.Events.Add(Ev.ParentLinked);
                            child.Parent = parent.Id;
                            child.LastAt = now;
                            parent.Events.Add(Ev.ChildLinked);
                            parent.Children.Add(child.Id);
                            parent.LastAt = now;
                        },
                        (Key(agency, child.Id), [Ev.ParentLinked]),
                        (Key(agency, parent.Id), [Ev.ChildLinked]));
            }

            case Step.Feedback f:
            {
                if (s is not (CaseStatus.Resolved or CaseStatus.Closed))
                {
                    return Outcome.Refused(c, InvalidStatus);
                }

                var problems = Problems((f.Satisfaction is < 1 or > 5, InvalidInput), (c.FeedbackForThisResolution, FeedbackGiven));
                return problems.Count > 0
                    ? Outcome.Refused(c, problems)
                    : One(c, Ev.FeedbackRecorded, () => { c.FeedbackForThisResolution = true; c.LastSatisfaction = f.Satisfaction; });
            }

            default:
                throw new ArgumentException($"The model has no rule for {step}.", nameof(step));
        }

        Outcome One(ModelCase target, string @event, Action change) => Outcome.Accept(
            _ =>
            {
                target.Events.Add(@event);
                target.LastAt = now;
                change();
            },
            (Key(target.Agency, target.Id), [@event]));
    }

    /// <summary>The case's ancestors, parent first.</summary>
    public List<string> AncestorsOf(ModelCase c)
    {
        var ancestors = new List<string>();
        for (var parent = c.Parent; parent is not null && !ancestors.Contains(parent); parent = Find(c.Agency, parent)?.Parent)
        {
            ancestors.Add(parent);
        }

        return ancestors;
    }

    /// <summary>The case's descendants: children, their children, and so on.</summary>
    public List<string> DescendantsOf(ModelCase c)
    {
        var descendants = new List<string>();
        var next = new Queue<string>(c.Children);
        while (next.TryDequeue(out var child))
        {
            if (!descendants.Contains(child) && Find(c.Agency, child) is { } found)
            {
                descendants.Add(child);
                foreach (var grandchild in found.Children)
                {
                    next.Enqueue(grandchild);
                }
            }
        }

        return descendants;
    }

    private static HashSet<string> Problems(params (bool Holds, string Code)[] problems) =>
        problems.Where(p => p.Holds).Select(p => p.Code).ToHashSet(StringComparer.Ordinal);
}

/// <summary>The model's answer: accepted with these events on these streams, or refused with one of these codes.</summary>
internal sealed record Outcome(
    IReadOnlySet<string>? Codes,
    ModelCase? Sent,
    string? MissingOther,
    IReadOnlyList<(string Stream, string[] Events)> Appends,
    Action<(string Id, string Number)?> Commit)
{
    public bool Accepted => Codes is null;

    public static Outcome NothingToDo { get; } = new(null, null, null, [], _ => { });

    public static Outcome Accept(Action<(string Id, string Number)?> commit, params (string Stream, string[] Events)[] appends) =>
        new(null, null, null, appends, commit);

    public static Outcome Refused(ModelCase? sent, string code, string? missingOther = null) =>
        new(new HashSet<string>(StringComparer.Ordinal) { code }, sent, missingOther, [], _ => { });

    public static Outcome Refused(ModelCase sent, IReadOnlySet<string> codes) => new(codes, sent, null, [], _ => { });
}

/// <summary>What the model knows of one case.</summary>
internal sealed class ModelCase(string agency, string id, string number, CasePriority priority, Instant openedAt)
{
    public string Agency { get; } = agency;
    public string Id { get; } = id;
    public string Number { get; } = number;
    public Instant OpenedAt { get; } = openedAt;
    public CaseStatus Status { get; private set; } = CaseStatus.Open;
    public CasePriority Priority { get; set; } = priority;
    public string? Team { get; set; }
    public string? Agent { get; set; }
    public int Level { get; set; }
    public Instant? ResolvedAt { get; set; }
    public Instant? FirstResolvedAt { get; set; }
    public Instant? ClosedAt { get; set; }
    public bool FeedbackForThisResolution { get; set; }
    public int? LastSatisfaction { get; set; }
    public int ReopenCount { get; set; }
    public string? Parent { get; set; }
    public List<string> Children { get; } = [];
    public List<string> Duplicates { get; } = [];
    public string? DuplicateOf { get; set; }
    public string? TransferredTo { get; set; }
    public string? TransferredToNumber { get; set; }
    public string? TransferredFromAgency { get; set; }
    public string? TransferredFromNumber { get; set; }
    public List<string> Events { get; } = [];
    public Instant LastAt { get; set; } = openedAt;

    /// <summary>When it last entered an open status, while open (the statistics' backlog).</summary>
    public Instant? OpenSince { get; private set; } = openedAt;

    /// <summary>How often it left the open statuses (each is an open interval of the statistics).</summary>
    public int OpenIntervals { get; private set; }

    /// <summary>Stretches the SLA clock stood still: awaiting the citizen, resolved; an open end while the pause lasts.</summary>
    public List<(Instant Start, Instant? End)> Pauses { get; } = [];

    /// <summary>When the SLA clock stopped for good (closed, cancelled, merged, transferred).</summary>
    public Instant? StoppedAt { get; private set; }

    public void Move(CaseStatus to, Instant at)
    {
        var from = Status;
        if (LifecycleModel.IsOpen(from) && !LifecycleModel.IsOpen(to))
        {
            OpenIntervals++;
            OpenSince = null;
        }
        else if (!LifecycleModel.IsOpen(from) && LifecycleModel.IsOpen(to))
        {
            OpenSince = at;
        }

        var wasPaused = from is CaseStatus.AwaitingCitizen or CaseStatus.Resolved;
        var paused = to is CaseStatus.AwaitingCitizen or CaseStatus.Resolved;
        if (LifecycleModel.IsFinal(to))
        {
            StoppedAt = at;
        }
        else if (wasPaused && !paused)
        {
            Pauses[^1] = (Pauses[^1].Start, at);
        }
        else if (!wasPaused && paused)
        {
            Pauses.Add((at, null));
        }

        Status = to;
        LastAt = at;
    }

    public string Label => Number;
}

/// <summary>The commands the model knows, with their parameters (the driver turns them into product commands).</summary>
internal abstract record Step
{
    public sealed record Assign(string Team, string? Agent) : Step;

    public sealed record Unassign : Step;

    public sealed record StartWork : Step;

    public sealed record RequestInformation : Step;

    public sealed record InformationReceived : Step;

    public sealed record AddNote : Step;

    public sealed record RecordContact : Step;

    public sealed record Escalate(int ToLevel, string Reason) : Step;

    public sealed record Deescalate(int ToLevel, string Reason) : Step;

    public sealed record ChangePriority(CasePriority To) : Step;

    public sealed record Transfer(string ToAgency, string Reason) : Step;

    public sealed record Resolve(string Code) : Step;

    public sealed record Close : Step;

    public sealed record Reopen(string Reason, Duration Window) : Step;

    public sealed record Cancel(string Reason) : Step;

    public sealed record MarkDuplicate(string Original) : Step;

    /// <summary>LinkParent (this case becomes the other's child) when <paramref name="AsParent"/>, else LinkChild.</summary>
    public sealed record Link(string Other, bool AsParent) : Step;

    public sealed record Feedback(int Satisfaction) : Step;
}

/// <summary>The stable wire names of the case events (docs/event-versioning.md).</summary>
internal static class Ev
{
    public const string Opened = "case.opened.v1";
    public const string Assigned = "case.assigned.v1";
    public const string Reassigned = "case.reassigned.v1";
    public const string Unassigned = "case.unassigned.v1";
    public const string WorkStarted = "case.work-started.v1";
    public const string InformationRequested = "case.information-requested.v1";
    public const string InformationReceived = "case.information-received.v1";
    public const string NoteAdded = "case.note-added.v1";
    public const string CitizenContacted = "case.citizen-contacted.v1";
    public const string Escalated = "case.escalated.v1";
    public const string Deescalated = "case.deescalated.v1";
    public const string PriorityChanged = "case.priority-changed.v1";
    public const string Transferred = "case.transferred.v1";
    public const string Resolved = "case.resolved.v1";
    public const string Closed = "case.closed.v1";
    public const string Reopened = "case.reopened.v1";
    public const string Cancelled = "case.cancelled.v1";
    public const string MarkedDuplicate = "case.marked-duplicate.v1";
    public const string DuplicateMerged = "case.duplicate-merged.v1";
    public const string ParentLinked = "case.parent-linked.v1";
    public const string ChildLinked = "case.child-linked.v1";
    public const string FeedbackRecorded = "case.feedback-recorded.v1";
}

using EventCase.Cases.Sla;
using NodaTime;

namespace EventCase.Cases.Lifecycle;

/// <summary>
/// What the decider knows about a case: either <see cref="NotOpenedCase"/> (an empty stream) or an
/// <see cref="OpenedCase"/>. Built only by folding events with <see cref="CaseDecider.Evolve"/>; holds what the rules
/// need, not the personal data (read models keep that). Immutable and thread safe.
/// </summary>
public abstract record CaseState
{
    private protected CaseState()
    {
    }

    /// <summary>The state before the first event: the case does not exist yet.</summary>
    public static CaseState Initial { get; } = new NotOpenedCase();

    /// <summary>Where the case is in its lifecycle.</summary>
    public CaseStatus Status { get; internal init; }

    /// <summary>Folds a case's events, oldest first, from <see cref="Initial"/>.</summary>
    public static CaseState Fold(IEnumerable<CaseEvent> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Aggregate(Initial, CaseDecider.Evolve);
    }
}

/// <summary>The state of a case whose stream has no events yet.</summary>
public sealed record NotOpenedCase : CaseState
{
    internal NotOpenedCase() => Status = CaseStatus.NotOpened;
}

/// <summary>How a case was resolved.</summary>
/// <param name="Code">The resolution code ("repaired", "no-action-needed").</param>
/// <param name="PublicSummary">What the citizen is told.</param>
/// <param name="At">When it was resolved.</param>
public sealed record CaseResolution(string Code, string PublicSummary, Instant At);

/// <summary>The state of an opened case, in whatever status it is now.</summary>
public sealed record OpenedCase : CaseState
{
    internal OpenedCase()
    {
    }

    /// <summary>The case id (stream id).</summary>
    public required CaseId Id { get; init; }

    /// <summary>The human-readable number.</summary>
    public required CaseNumber Number { get; init; }

    /// <summary>The agency that holds the case.</summary>
    public required AgencyId Agency { get; init; }

    /// <summary>The service requested.</summary>
    public required ServiceCode Service { get; init; }

    /// <summary>Where the request came in.</summary>
    public required Channel Channel { get; init; }

    /// <summary>The current priority.</summary>
    public required CasePriority Priority { get; init; }

    /// <summary>The SLA target snapshotted when the case opened.</summary>
    public required SlaTarget Sla { get; init; }

    /// <summary>When the case opened.</summary>
    public required Instant OpenedAt { get; init; }

    /// <summary>When the last event happened.</summary>
    public required Instant LastChangedAt { get; init; }

    /// <summary>Who works on it; null while unassigned (and kept through resolution so a reopen returns it there).</summary>
    public Assignment? Assignment { get; init; }

    /// <summary>Escalation tier: 0 (not escalated) to 3.</summary>
    public int EscalationLevel { get; init; }

    /// <summary>The resolution while Resolved or Closed; null otherwise (a reopen clears it).</summary>
    public CaseResolution? Resolution { get; init; }

    /// <summary>How often the case was reopened.</summary>
    public int ReopenCount { get; init; }

    /// <summary>The satisfaction (1–5) the citizen gave for the current resolution, if they did.</summary>
    public int? Satisfaction { get; init; }

    /// <summary>The case this one duplicates, when Duplicate.</summary>
    public CaseId? DuplicateOf { get; init; }

    /// <summary>
    /// The cases merged into this one as its duplicates, in merging order: those whose merge recorded this case's side
    /// (<c>DuplicateCaseMerged</c>, decision 0021). Duplicates marked before that, and imported ones, are not listed.
    /// </summary>
    public IReadOnlyList<CaseId> Duplicates { get; init; } = [];

    /// <summary>The agency the case went to, when TransferredOut.</summary>
    public AgencyId? TransferredTo { get; init; }

    /// <summary>The parent case, if linked.</summary>
    public CaseId? Parent { get; init; }

    /// <summary>Child cases, in linking order.</summary>
    public IReadOnlyList<CaseId> Children { get; init; } = [];

    /// <summary>How the case is named in messages: its number.</summary>
    public string Label => Number.Value;
}

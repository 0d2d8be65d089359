namespace EventCase.Cases.Lifecycle;

/// <summary>What <see cref="CaseDecider.Decide"/> returns: the events to append, or a <see cref="CaseRejection"/>.</summary>
public sealed class DecisionResult : Decision<CaseEvent, CaseRejection>
{
    private DecisionResult(IReadOnlyList<CaseEvent> events)
        : base(events)
    {
    }

    private DecisionResult(CaseRejection rejection)
        : base(rejection)
    {
    }

    /// <summary>Accepted, with these events (none when the command changes nothing).</summary>
    public static DecisionResult Accept(params CaseEvent[] events) => new(events);

    /// <summary>Refused.</summary>
    public static DecisionResult Reject(CaseRejection rejection) => new(rejection);

    /// <summary>Accepted with nothing to append: the command asks for what is already so.</summary>
    public static DecisionResult NothingToDo { get; } = new(Array.Empty<CaseEvent>());

    /// <summary>Accepts one event.</summary>
    public static implicit operator DecisionResult(CaseEvent @event) => Accept(@event);

    /// <summary>Refuses.</summary>
    public static implicit operator DecisionResult(CaseRejection rejection) => Reject(rejection);
}

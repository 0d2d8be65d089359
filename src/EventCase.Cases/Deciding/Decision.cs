namespace EventCase.Cases;

/// <summary>
/// The outcome of a pure decision: the events to append (possibly none, when the command changes nothing) or a
/// rejection saying in plain words why the command was refused. Never both. Immutable.
/// </summary>
/// <typeparam name="TEvent">The event base type.</typeparam>
/// <typeparam name="TRejection">The rejection type.</typeparam>
public abstract class Decision<TEvent, TRejection>
    where TRejection : class
{
    /// <summary>An accepted decision.</summary>
    protected Decision(IReadOnlyList<TEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        Events = events;
    }

    /// <summary>A rejected decision.</summary>
    protected Decision(TRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        Events = [];
        Rejection = rejection;
    }

    /// <summary>The events to append; empty when rejected or when nothing changes.</summary>
    public IReadOnlyList<TEvent> Events { get; }

    /// <summary>Why the command was refused, or null when it was accepted.</summary>
    public TRejection? Rejection { get; }

    /// <summary>True when the command was accepted (even if it produced no events).</summary>
    public bool IsAccepted => Rejection is null;

    /// <summary>True when the command was refused.</summary>
    public bool IsRejected => Rejection is not null;

    /// <summary>Folds the outcome into one value.</summary>
    public TResult Match<TResult>(Func<IReadOnlyList<TEvent>, TResult> accepted, Func<TRejection, TResult> rejected)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        ArgumentNullException.ThrowIfNull(rejected);
        return Rejection is null ? accepted(Events) : rejected(Rejection);
    }

    /// <inheritdoc />
    public override string ToString() =>
        Rejection is null ? $"Accepted: {string.Join(", ", Events.Select(e => e?.GetType().Name))}" : $"Rejected: {Rejection}";
}

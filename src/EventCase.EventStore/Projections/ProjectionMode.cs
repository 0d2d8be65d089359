namespace EventCase.EventStore.Projections;

/// <summary>When a projection sees an event.</summary>
public enum ProjectionMode
{
    /// <summary>In the append's own transaction: whoever wrote an event reads its effect at once.</summary>
    Inline,

    /// <summary>By the projection daemon, shortly after the event commits, in batches.</summary>
    Async,
}

namespace EventCase.EventStore.Metadata;

/// <summary>
/// Who did what, on whose behalf and why: carried by every event from the first commit.
/// The tenant (agency) is not part of the metadata document because it is a column of every stream and
/// event row, in every key.
/// </summary>
/// <param name="ActorId">The person or system that caused the event (an agent id, a citizen reference, <c>system:importer</c>).</param>
/// <param name="ActorRole">The role the actor acted in (citizen, agent, supervisor, auditor, admin, system).</param>
/// <param name="CorrelationId">Ties together everything one request or job caused.</param>
/// <param name="CausationId">The message or event that directly caused this one, if any.</param>
/// <param name="Channel">Where the action came from (web, phone, email, sms, in-person, api, import).</param>
/// <param name="Reason">Why the actor did it, in their words, if given.</param>
public sealed record EventMetadata(
    string ActorId,
    string ActorRole,
    string? CorrelationId = null,
    string? CausationId = null,
    string? Channel = null,
    string? Reason = null)
{
    /// <summary>Free-form extra entries (for example the source file and row of an imported event).</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }

    /// <summary>Equal when every field is, <see cref="Extra"/> compared by its entries (a record would compare the dictionary's reference, so metadata read twice would differ).</summary>
    public bool Equals(EventMetadata? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (ActorId == other.ActorId && ActorRole == other.ActorRole && CorrelationId == other.CorrelationId && CausationId == other.CausationId
                && Channel == other.Channel && Reason == other.Reason && SameEntries(Extra, other.Extra)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ActorId, ActorRole, CorrelationId, CausationId, Channel, Reason, Extra?.Count ?? -1);

    private static bool SameEntries(IReadOnlyDictionary<string, string>? left, IReadOnlyDictionary<string, string>? right) =>
        ReferenceEquals(left, right)
        || (left is not null && right is not null && left.Count == right.Count
            && left.All(entry => right.TryGetValue(entry.Key, out var value) && value == entry.Value));

    /// <summary>Metadata for work the engine does on its own behalf.</summary>
    public static EventMetadata System(string? correlationId = null) => new("system", "system", correlationId);
}

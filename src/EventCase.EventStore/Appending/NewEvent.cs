using EventCase.EventStore.Metadata;

namespace EventCase.EventStore;

/// <summary>An event to append: its id (the idempotency key), its data (a registered event record) and its metadata.</summary>
/// <param name="EventId">Chosen by the writer; re-appending the same ids is a no-op that returns the original result.</param>
/// <param name="Data">An instance of a registered event type.</param>
/// <param name="Metadata">Who, on whose behalf, why.</param>
public sealed record NewEvent(Guid EventId, object Data, EventMetadata Metadata);

using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using EventCase.Server.Http;
using EventCase.Server.Reports;
using NodaTime;

namespace EventCase.Server.Cases;

/// <summary>A note as shown on a case.</summary>
/// <param name="Visibility">Internal or public.</param>
/// <param name="Text">The note.</param>
/// <param name="At">When.</param>
/// <param name="By">Who wrote it.</param>
public sealed record CaseNoteView(NoteVisibility Visibility, string Text, Instant At, string By);

/// <summary>A case of the same agency merged into the case shown, as its duplicate.</summary>
/// <param name="CaseId">The duplicate's id.</param>
/// <param name="Number">The duplicate's number, when the merge recorded it.</param>
public sealed record MergedDuplicate(string CaseId, string? Number);

/// <summary>A case as the API shows it: the folded state of its stream at some version.</summary>
public sealed record CaseView
{
    /// <summary>The case id.</summary>
    public required string Id { get; init; }

    /// <summary>The case number.</summary>
    public required string Number { get; init; }

    /// <summary>The agency holding it.</summary>
    public required string Agency { get; init; }

    /// <summary>The service requested.</summary>
    public required string Service { get; init; }

    /// <summary>The lifecycle status.</summary>
    public required CaseStatus Status { get; init; }

    /// <summary>The priority.</summary>
    public required CasePriority Priority { get; init; }

    /// <summary>Where the request came in.</summary>
    public required Channel Channel { get; init; }

    /// <summary>What the citizen wrote.</summary>
    public required string Description { get; init; }

    /// <summary>Who asked.</summary>
    public CitizenContact? Citizen { get; init; }

    /// <summary>Where.</summary>
    public CaseLocation? Location { get; init; }

    /// <summary>Service attributes.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes { get; init; }

    /// <summary>Who works on it.</summary>
    public Assignment? Assignment { get; init; }

    /// <summary>Escalation tier 0–3.</summary>
    public int EscalationLevel { get; init; }

    /// <summary>The resolution, while resolved or closed.</summary>
    public CaseResolution? Resolution { get; init; }

    /// <summary>Reopen count.</summary>
    public int ReopenCount { get; init; }

    /// <summary>Satisfaction 1–5, if given.</summary>
    public int? Satisfaction { get; init; }

    /// <summary>The case it duplicates.</summary>
    public string? DuplicateOf { get; init; }

    /// <summary>
    /// The cases merged into this one as its duplicates, in merging order. Duplicates marked before merges were recorded
    /// on both cases (decision 0021), and imported ones, are not listed.
    /// </summary>
    public required IReadOnlyList<MergedDuplicate> Duplicates { get; init; }

    /// <summary>The agency it was transferred to.</summary>
    public string? TransferredTo { get; init; }

    /// <summary>The receiving agency's case, when the case was transferred out with one: the caller can quote it, not read it.</summary>
    public OtherAgencyCase? TransferredToCase { get; init; }

    /// <summary>The other agency's case this one took over, when a transfer opened it: the caller can quote it, not read it.</summary>
    public OtherAgencyCase? TransferredFrom { get; init; }

    /// <summary>The parent case.</summary>
    public string? Parent { get; init; }

    /// <summary>Child cases.</summary>
    public required IReadOnlyList<string> Children { get; init; }

    /// <summary>The SLA target.</summary>
    public required SlaTarget Sla { get; init; }

    /// <summary>When opened.</summary>
    public required Instant OpenedAt { get; init; }

    /// <summary>When last changed.</summary>
    public required Instant LastChangedAt { get; init; }

    /// <summary>Notes (citizens see only public ones).</summary>
    public required IReadOnlyList<CaseNoteView> Notes { get; init; }

    /// <summary>The stream version this view is folded to (the ETag).</summary>
    public required long Version { get; init; }

    /// <summary>Folds <paramref name="events"/>; null when they hold no opened case.</summary>
    public static CaseView? Fold(IReadOnlyList<RecordedEvent> events, bool publicOnly)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = CaseState.Initial;
        CaseOpened? opened = null;
        CaseTransferred? transferred = null;
        var notes = new List<CaseNoteView>();
        var duplicates = new List<MergedDuplicate>();
        foreach (var recorded in events)
        {
            if (recorded.Data is not CaseEvent @event)
            {
                continue;
            }

            state = CaseDecider.Evolve(state, @event);
            switch (@event)
            {
                case CaseOpened o:
                    opened ??= o;
                    break;
                case CaseTransferred t:
                    transferred = t;
                    break;
                case DuplicateCaseMerged merged when duplicates.TrueForAll(d => !string.Equals(d.CaseId, merged.DuplicateCaseId.Value, StringComparison.Ordinal)):
                    duplicates.Add(new MergedDuplicate(merged.DuplicateCaseId.Value, merged.DuplicateNumber?.Value));
                    break;
                case NoteAdded note when !publicOnly || note.Visibility == NoteVisibility.Public:
                    notes.Add(new CaseNoteView(note.Visibility, note.Text, note.At, recorded.Metadata.ActorId));
                    break;
            }
        }

        if (state is not OpenedCase s || opened is null)
        {
            return null;
        }

        return new CaseView
        {
            Id = s.Id.Value,
            Number = s.Number.Value,
            Agency = s.Agency.Value,
            Service = s.Service.Value,
            Status = s.Status,
            Priority = s.Priority,
            Channel = s.Channel,
            Description = opened.Description,
            Citizen = opened.Citizen,
            Location = opened.Location,
            Attributes = opened.Attributes,
            Assignment = s.Assignment,
            EscalationLevel = s.EscalationLevel,
            Resolution = s.Resolution,
            ReopenCount = s.ReopenCount,
            Satisfaction = s.Satisfaction,
            DuplicateOf = s.DuplicateOf?.Value,
            Duplicates = duplicates,
            TransferredTo = s.TransferredTo?.Value,
            TransferredToCase = transferred is { ToCaseId: { } toCase, ToNumber: { } toNumber }
                ? new OtherAgencyCase(transferred.ToAgency.Value, toCase.Value, toNumber.Value)
                : null,
            TransferredFrom = opened.TransferredFrom is { } from ? new OtherAgencyCase(from.Agency.Value, from.CaseId.Value, from.Number.Value) : null,
            Parent = s.Parent?.Value,
            Children = [.. s.Children.Select(c => c.Value)],
            Sla = s.Sla,
            OpenedAt = s.OpenedAt,
            LastChangedAt = s.LastChangedAt,
            Notes = notes,
            Version = events[^1].StreamVersion,
        };
    }
}

/// <summary>The metadata of a stored event.</summary>
/// <param name="ActorId">Who.</param>
/// <param name="ActorRole">In which role.</param>
/// <param name="CorrelationId">The request or job that caused it.</param>
/// <param name="CausationId">The message that caused it.</param>
/// <param name="Channel">Where from.</param>
/// <param name="Reason">Why.</param>
/// <param name="Extra">The command name, the idempotency key, …</param>
public sealed record EventMetadataView(string ActorId, string ActorRole, string? CorrelationId, string? CausationId, string? Channel, string? Reason, IReadOnlyDictionary<string, string>? Extra);

/// <summary>One event of a case's history.</summary>
/// <param name="Version">Its version in the stream.</param>
/// <param name="Position">Its position in the global log.</param>
/// <param name="EventId">Its id.</param>
/// <param name="Type">Its stable type name (<c>case.assigned.v1</c>).</param>
/// <param name="RecordedAt">When it was stored.</param>
/// <param name="Data">The event.</param>
/// <param name="Metadata">Who, why, in which conversation.</param>
public sealed record HistoryEntry(long Version, long Position, Guid EventId, string Type, Instant RecordedAt, JsonElement Data, EventMetadataView Metadata)
{
    /// <summary>The entry of a stored event.</summary>
    public static HistoryEntry From(RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var m = recorded.Metadata;
        return new HistoryEntry(
            recorded.StreamVersion,
            recorded.Position,
            recorded.EventId,
            recorded.EventType,
            recorded.RecordedAt,
            JsonSerializer.SerializeToElement(recorded.Data, recorded.Data.GetType(), ApiJson.Response),
            new EventMetadataView(m.ActorId, m.ActorRole, m.CorrelationId, m.CausationId, m.Channel, m.Reason, m.Extra));
    }

    /// <summary>True when a citizen may see the event (every event but internal notes).</summary>
    public static bool IsPublic(RecordedEvent recorded) =>
        recorded?.Data is not NoteAdded { Visibility: NoteVisibility.Internal };
}

/// <summary>A case's history.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Version">Its current version.</param>
/// <param name="Events">The events, oldest first.</param>
/// <param name="Chain">The case's hash chain verified over the events read for this answer: whether they are the events
/// as written.</param>
public sealed record CaseHistory(string CaseId, long Version, IReadOnlyList<HistoryEntry> Events, CaseChain Chain);

/// <summary>The case as it was at a version or instant.</summary>
/// <param name="AsOfVersion">The version folded to.</param>
/// <param name="AsOfInstant">The instant asked for, if any.</param>
/// <param name="CurrentVersion">The case's version now.</param>
/// <param name="Case">The folded state.</param>
/// <param name="SlaClock">The SLA clock as it stood then (at the instant asked for, or at the event of the version asked
/// for), on the business calendars the agency had set by then: its due instant is the one the queues showed.</param>
/// <param name="Chain">The case's whole hash chain (not only up to the version folded to) verified over the events read
/// for this answer: whether they are the events as written.</param>
public sealed record CaseAsOf(long AsOfVersion, Instant? AsOfInstant, long CurrentVersion, CaseView Case, SlaClock SlaClock, CaseChain Chain);

/// <summary>
/// Whether the events an answer was built from are the events as written: the case stream's hash chain and head,
/// verified over those very rows as <c>GET /audit/cases/{id}/verification</c> verifies them (docs/audit.md), so that a
/// history or a time travel never shows altered events as genuine. An alteration whose hashes were all recomputed, or a
/// tail cut off with the stream row moved back, verifies: only a signed checkpoint shows those (decision 0026).
/// </summary>
/// <param name="Intact">True when the chain and the head verified.</param>
/// <param name="Finding">Where the chain first breaks, when it does.</param>
public sealed record CaseChain(bool Intact, CaseVerificationFinding? Finding)
{
    /// <summary>The chain status of <paramref name="read"/>.</summary>
    public static CaseChain Of(VerifiedStream read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return read.Finding is { } f ? new CaseChain(false, new CaseVerificationFinding(f.Version, f.Kind, f.Detail)) : new CaseChain(true, null);
    }
}

using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Transferring;
using NodaTime;

namespace EventCase.Cases.Sla;

/// <summary>Why the SLA clock of a case was paused.</summary>
public enum SlaPauseReason
{
    /// <summary>The case waited on information from the citizen.</summary>
    AwaitingCitizen,

    /// <summary>The case was resolved but not closed; a reopen resumes the clock.</summary>
    Resolved,
}

/// <summary>An interval during which the SLA clock did not run.</summary>
/// <param name="Start">When the pause began.</param>
/// <param name="End">When it ended; null while it lasts.</param>
/// <param name="Reason">Why.</param>
public sealed record PausedInterval(Instant Start, Instant? End, SlaPauseReason Reason);

/// <summary>
/// The SLA-relevant shape of a case's history: when its clock started, when it was paused and when it stopped for
/// good (closed, cancelled, merged or transferred out). Built from events with <see cref="FromHistory"/>.
/// </summary>
/// <param name="Started">When the case opened.</param>
/// <param name="Pauses">Pauses, oldest first, non-overlapping; only the last may be open.</param>
/// <param name="StoppedAt">When the clock stopped for good, if it did.</param>
public sealed record SlaTimeline(Instant Started, IReadOnlyList<PausedInterval> Pauses, Instant? StoppedAt)
{
    /// <summary>
    /// Reads the pauses from a case's events: the clock pauses from <see cref="InformationRequested"/> to
    /// <see cref="InformationReceived"/> and from <see cref="CaseResolved"/> to <see cref="CaseReopened"/>, and stops at
    /// <see cref="CaseClosed"/>, <see cref="CaseCancelled"/>, <see cref="CaseMarkedDuplicate"/> and
    /// <see cref="CaseTransferred"/>. A pause still open when the clock stops stays open (the stop bounds it).
    /// </summary>
    /// <exception cref="ArgumentException">The history does not start with <see cref="CaseOpened"/>.</exception>
    public static SlaTimeline FromHistory(IEnumerable<CaseEvent> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        Instant? started = null;
        Instant? stopped = null;
        var pauses = new List<PausedInterval>();
        PausedInterval? open = null;
        foreach (var @event in history)
        {
            if (started is null)
            {
                started = @event is CaseOpened ? @event.At : throw new ArgumentException("A case history starts with CaseOpened.", nameof(history));
                continue;
            }

            if (stopped is not null)
            {
                continue;
            }

            switch (@event)
            {
                case InformationRequested when open is null:
                    open = new PausedInterval(@event.At, null, SlaPauseReason.AwaitingCitizen);
                    break;
                case CaseResolved when open is null:
                    open = new PausedInterval(@event.At, null, SlaPauseReason.Resolved);
                    break;
                case CaseResolved when open is not null:
                    // Resolved while waiting on the citizen: one continuous pause, now for a different reason.
                    pauses.Add(open with { End = @event.At });
                    open = new PausedInterval(@event.At, null, SlaPauseReason.Resolved);
                    break;
                case InformationReceived or CaseReopened when open is not null:
                    pauses.Add(open with { End = @event.At });
                    open = null;
                    break;
                case CaseClosed or CaseCancelled or CaseMarkedDuplicate or CaseTransferred:
                    stopped = @event.At;
                    break;
            }
        }

        if (started is null)
        {
            throw new ArgumentException("A case history starts with CaseOpened; this one is empty.", nameof(history));
        }

        if (open is not null)
        {
            pauses.Add(open);
        }

        return new SlaTimeline(started.Value, pauses, stopped);
    }
}

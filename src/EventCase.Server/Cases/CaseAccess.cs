using EventCase.Cases;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.Server.Auth;

namespace EventCase.Server.Cases;

/// <summary>
/// Reads a case for a caller. The stream is always the caller's agency's, so another agency's case is simply absent;
/// a citizen sees only cases opened with their citizen reference. Both answer exactly like a case that does not exist.
/// </summary>
public static class CaseAccess
{
    /// <summary>
    /// True for a case id the API accepts: 1–200 letters, digits, '-', '_' or '.'. Anything else (including the
    /// <c>$</c> of reference-data streams, quotes, spaces and control characters) is not a case id.
    /// </summary>
    public static bool TryParseId(string? id, out CaseId caseId)
    {
        caseId = null!;
        if (string.IsNullOrEmpty(id) || id.Length > 200 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return false;
        }

        caseId = new CaseId(id);
        return true;
    }

    /// <summary>The events of the caller's agency's case (up to the version or instant in <paramref name="options"/>).</summary>
    public static async Task<List<RecordedEvent>> ReadAsync(PostgresEventStore store, AgencyId agency, CaseId caseId, ReadStreamOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var events = new List<RecordedEvent>();
        await foreach (var recorded in store.ReadStreamAsync(new StreamName(agency.Value, caseId.Value), options, cancellationToken))
        {
            events.Add(recorded);
        }

        return events;
    }

    /// <summary>True when <paramref name="caller"/> may see the case whose first event is <paramref name="first"/>.</summary>
    public static bool MaySee(Caller caller, RecordedEvent? first)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (first?.Data is not CaseOpened opened)
        {
            return false;
        }

        return !caller.IsCitizen
            || (opened.Citizen is { } citizen && string.Equals(citizen.Reference, caller.CitizenReference, StringComparison.Ordinal));
    }

    /// <summary>The case's first event, read on its own (for the visibility check).</summary>
    public static async Task<RecordedEvent?> ReadFirstAsync(PostgresEventStore store, AgencyId agency, CaseId caseId, CancellationToken cancellationToken)
    {
        var events = await ReadAsync(store, agency, caseId, new ReadStreamOptions { MaxCount = 1 }, cancellationToken);
        return events.Count == 0 ? null : events[0];
    }
}

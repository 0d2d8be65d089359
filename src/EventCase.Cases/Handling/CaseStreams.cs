using EventCase.EventStore;

namespace EventCase.Cases.Handling;

/// <summary>Where a case's events live in the event store.</summary>
public static class CaseStreams
{
    /// <summary>The stream type recorded for case streams.</summary>
    public const string StreamType = "case";

    /// <summary>
    /// The stream of <paramref name="caseId"/> in <paramref name="agency"/>: the tenant is the agency and the stream id
    /// is the case id itself (both already satisfy the store's rules: an agency id is a valid tenant, a case id a
    /// valid stream id). The same case id in two agencies names two different streams, which keeps agencies apart.
    /// </summary>
    public static StreamName For(AgencyId agency, CaseId caseId)
    {
        ArgumentNullException.ThrowIfNull(agency);
        ArgumentNullException.ThrowIfNull(caseId);
        return new StreamName(agency.Value, caseId.Value);
    }
}

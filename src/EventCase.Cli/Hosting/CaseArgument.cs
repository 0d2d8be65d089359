using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore;

namespace EventCase.Cli.Hosting;

/// <summary>A case named on the command line by its id or its number (e.g. BOS-2026-000123), within an agency.</summary>
internal static class CaseArgument
{
    /// <summary>
    /// The case's stream; a case number no case of the agency has is an error that names both. Text that is no case
    /// number but would be one in upper case and without the spaces around it (<c>bos-2026-000123</c>, a number pasted
    /// with a space) names no case either, yet is no case id: when no case has that id and the agency has a case with
    /// that number, the error says which number was meant instead of the text passing for a case without events.
    /// </summary>
    public static async Task<(CaseId CaseId, StreamName Stream)> ResolveAsync(CliSession session, string agency, string caseText, CancellationToken cancellationToken)
    {
        var agencyId = new AgencyId(agency);
        if (CaseNumber.TryParse(caseText, out var number))
        {
            var found = await new CaseNumberLookup(session.Store).FindAsync(agencyId, number, cancellationToken)
                ?? throw new CliException($"no case {caseText} in agency {agencyId.Value}");
            return (found.CaseId, CaseStreams.For(agencyId, found.CaseId));
        }

        var caseId = new CaseId(caseText);
        var stream = CaseStreams.For(agencyId, caseId);
        if (CaseNumber.TryParse(caseText.Trim().ToUpperInvariant(), out var meant)
            && !(await session.Store.ReadStreamVersionsAsync([stream], cancellationToken)).ContainsKey(stream)
            && await new CaseNumberLookup(session.Store).FindAsync(agencyId, meant, cancellationToken) is not null)
        {
            throw new CliException($"no case {caseText} in agency {agencyId.Value}; did you mean {meant.Value}? (case numbers are upper case, without spaces)");
        }

        return (caseId, stream);
    }
}

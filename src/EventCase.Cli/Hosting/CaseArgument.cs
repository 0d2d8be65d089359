using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore;

namespace EventCase.Cli.Hosting;

/// <summary>A case named on the command line by its id or its number (e.g. BOS-2026-000123), within an agency.</summary>
internal static class CaseArgument
{
    /// <summary>The case's stream; a case number no case of the agency has is an error that names both.</summary>
    public static async Task<(CaseId CaseId, StreamName Stream)> ResolveAsync(CliSession session, string agency, string caseText, CancellationToken cancellationToken)
    {
        var agencyId = new AgencyId(agency);
        CaseId caseId;
        if (CaseNumber.TryParse(caseText, out var number))
        {
            var found = await new CaseNumberLookup(session.Store).FindAsync(agencyId, number, cancellationToken)
                ?? throw new CliException($"no case {caseText} in agency {agencyId.Value}");
            caseId = found.CaseId;
        }
        else
        {
            caseId = new CaseId(caseText);
        }

        return (caseId, CaseStreams.For(agencyId, caseId));
    }
}

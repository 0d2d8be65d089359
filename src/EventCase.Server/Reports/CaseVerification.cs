using EventCase.EventStore.Auditing;
using NodaTime;

namespace EventCase.Server.Reports;

/// <summary>
/// The verdict of a case's hash chain, verified on request against the events as stored (not the audit read model):
/// every event's hash recomputed from its canonical bytes and the one before it, and the stream row's head compared
/// with the last event.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="Intact">True when the chain and the head verified.</param>
/// <param name="Version">The stream row's version: the version the head hash stands for (null when the stream row is missing, itself a finding).</param>
/// <param name="HeadHash">The stream row's head hash, lowercase hex: compare it with a signed checkpoint or an export.</param>
/// <param name="EventsChecked">How many event rows were read and hashed.</param>
/// <param name="Finding">Where the chain first breaks, when it does.</param>
/// <param name="VerifiedAt">When the verification ran.</param>
public sealed record CaseVerification(
    string CaseId, bool Intact, long? Version, string? HeadHash, long EventsChecked, CaseVerificationFinding? Finding, Instant VerifiedAt)
{
    /// <summary>The response for <paramref name="verification"/> of <paramref name="caseId"/>.</summary>
    public static CaseVerification From(string caseId, StreamVerification verification, Instant verifiedAt)
    {
        ArgumentNullException.ThrowIfNull(verification);
        var finding = verification.Finding is { } f ? new CaseVerificationFinding(f.Version, f.Kind, f.Detail) : null;
        return new CaseVerification(
            caseId, verification.Report.IsIntact, verification.HeadVersion, verification.HeadHash?.ToString(), verification.Report.EventsChecked, finding, verifiedAt);
    }
}

/// <summary>Where a case's chain first breaks (docs/audit.md explains each kind and what cannot be told apart).</summary>
/// <param name="Version">The first version at which the chain is broken (for a deleted event, the missing version).</param>
/// <param name="Kind">The most likely alteration.</param>
/// <param name="Detail">What was found, as a sentence for the auditor.</param>
public sealed record CaseVerificationFinding(long Version, TamperKind Kind, string Detail);

namespace EventCase.EventStore.Auditing;

/// <summary>The outcome of a verification of the hash chain.</summary>
/// <param name="Scope">What was verified: <c>store</c>, <c>tenant T</c> or <c>stream T/S</c>.</param>
/// <param name="StreamsChecked">How many streams were checked (with events or a stream row).</param>
/// <param name="EventsChecked">How many event rows were read.</param>
/// <param name="BrokenStreams">How many streams have a broken chain or head.</param>
/// <param name="Findings">The first break of each broken stream, ordered by tenant and stream id (at most the
/// verifier's limit: see <see cref="FindingsTruncated"/>).</param>
/// <param name="Elapsed">How long the verification took.</param>
public sealed record AuditReport(
    string Scope,
    long StreamsChecked,
    long EventsChecked,
    long BrokenStreams,
    IReadOnlyList<AuditFinding> Findings,
    TimeSpan Elapsed)
{
    /// <summary>True when every chain and every head verified.</summary>
    public bool IsIntact => BrokenStreams == 0;

    /// <summary>True when more streams are broken than <see cref="Findings"/> lists.</summary>
    public bool FindingsTruncated => BrokenStreams > Findings.Count;

    /// <summary>The verification rate.</summary>
    public double EventsPerSecond => Elapsed > TimeSpan.Zero ? EventsChecked / Elapsed.TotalSeconds : 0;
}

/// <summary>How far a verification has come.</summary>
/// <param name="EventsChecked">Event rows read so far.</param>
/// <param name="StreamsChecked">Streams finished so far.</param>
/// <param name="BrokenStreams">Broken streams found so far.</param>
public readonly record struct AuditProgress(long EventsChecked, long StreamsChecked, long BrokenStreams);

/// <summary>One stream's verification with the stream row it was verified against, read in the same snapshot.</summary>
/// <param name="Report">The verification: <see cref="AuditReport.StreamsChecked"/> is 0 when the stream has neither
/// events nor a stream row.</param>
/// <param name="HeadVersion">The stream row's version; null when there is no stream row.</param>
/// <param name="HeadHash">The stream row's head hash; null when there is no stream row or it holds no hash.</param>
public sealed record StreamVerification(AuditReport Report, long? HeadVersion, AuditHash? HeadHash)
{
    /// <summary>The stream's first break, or null when its chain and head verified.</summary>
    public AuditFinding? Finding => Report.Findings.Count > 0 ? Report.Findings[0] : null;
}

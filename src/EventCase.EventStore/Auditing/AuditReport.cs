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

/// <summary>A stream's events with the verification of its chain over those very rows (<see cref="AuditVerifier.ReadStreamAsync"/>).</summary>
/// <param name="Events">Every event of the stream, oldest first, as stored: altered or not, they are what was read.</param>
/// <param name="Verification">The chain and the stream row, verified over the rows that gave <paramref name="Events"/>.</param>
public sealed record VerifiedStream(IReadOnlyList<RecordedEvent> Events, StreamVerification Verification)
{
    /// <summary>The stream's first break, or null when its chain and head verified.</summary>
    public AuditFinding? Finding => Verification.Finding;
}

/// <summary>
/// An event of a stream no longer reads as its type (or its recorded-at no longer fits an instant), and the stream's
/// chain shows it was altered after it was written: what would be a bug in an intact stream is evidence here.
/// </summary>
/// <param name="stream">The stream.</param>
/// <param name="version">The version of the event that does not read.</param>
/// <param name="storedEventType">Its type as stored.</param>
/// <param name="position">Its place in the global log.</param>
/// <param name="finding">The chain's first break (not necessarily at the same version).</param>
/// <param name="inner">Why the event does not read.</param>
public sealed class AlteredEventUnreadableException(StreamName stream, long version, string storedEventType, long position, AuditFinding finding, Exception inner)
    : InvalidOperationException(
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"event version {version} of {stream.Tenant}/{stream.Id} ({storedEventType}, log position {position}) cannot be read ({inner?.Message.TrimEnd('.')}): it was altered after it was written: {finding}"),
        inner)
{
    /// <summary>The stream.</summary>
    public StreamName Stream { get; } = stream;

    /// <summary>The version of the event that does not read.</summary>
    public long Version { get; } = version;

    /// <summary>The chain's first break.</summary>
    public AuditFinding Finding { get; } = finding;
}

using EventCase.Cases;
using Microsoft.Extensions.Options;

namespace EventCase.Server.Hosting;

/// <summary>The <c>EventCase</c> configuration section.</summary>
public sealed class ServerSettings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "EventCase";

    /// <summary>The PostgreSQL schema of the event store and the case tables.</summary>
    public string Schema { get; set; } = "eventcase";

    /// <summary>Where the embedded PostgreSQL keeps its data when no connection string is configured; empty picks a
    /// per-user default (see <see cref="EventCaseDatabase.DefaultDataDirectory"/>).</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Seed a small demo catalog, routing table and calendar when the database holds none.</summary>
    public bool SeedDemoData { get; set; } = true;

    /// <summary>How long after resolution a case may be reopened.</summary>
    public int ReopenWindowDays { get; set; } = 30;

    /// <summary>The largest request body the API reads; larger ones are answered 413.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long <c>/health/ready</c> waits for the database before it answers unhealthy: a database that accepts
    /// connections but does not answer (frozen, partitioned away, a lock held on what the check reads) would otherwise
    /// keep the probe waiting for the driver's timeouts, a minute and more, where a probe wants an answer.
    /// </summary>
    public double ReadinessTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// How long the oldest event an async projection has not applied yet may have waited before <c>/health/ready</c>
    /// reports the projection unhealthy.
    /// </summary>
    public double ReadinessMaxProjectionLagSeconds { get; set; } = 300;

    /// <summary>
    /// Whether a projection that lags or has failed makes <c>/health/ready</c> answer 503 (it is listed either way).
    /// Every node reports the same projections, whichever node owns them: behind a load balancer that probes readiness,
    /// one failed projection or one frozen owner takes every node out of rotation, although each can still take writes
    /// and serve the inline read models. Set it to false there and watch the projection checks (or
    /// <c>eventcase projections status</c>) instead.
    /// </summary>
    public bool ReadinessCountsProjections { get; set; } = true;

    /// <summary>
    /// How long start-up keeps trying to reach a configured database that is not there yet (not started, restarting,
    /// failing over) before the service gives up with exit code 1; 0 tries once. The embedded cluster is not waited for.
    /// </summary>
    public double StartupTimeoutSeconds { get; set; } = 60;

    /// <summary>Case number prefixes per agency (agency id → 2–8 upper-case letters or digits).</summary>
    public Dictionary<string, string> CasePrefixes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What is wrong with these settings, one message per setting naming it as configured; empty when none is.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxRequestBodyBytes < 1024)
        {
            problems.Add(FormattableString.Invariant($"{Section}:{nameof(MaxRequestBodyBytes)} is {MaxRequestBodyBytes}; it must be at least 1024 (bytes)."));
        }

        if (ReopenWindowDays < 0)
        {
            problems.Add(FormattableString.Invariant($"{Section}:{nameof(ReopenWindowDays)} is {ReopenWindowDays}; it must be 0 or more (days)."));
        }

        // TimeSpan.FromSeconds refuses what is not finite, and a probe's deadline beyond an hour is no deadline.
        if (!double.IsFinite(ReadinessTimeoutSeconds) || ReadinessTimeoutSeconds <= 0 || ReadinessTimeoutSeconds > 3600)
        {
            problems.Add(FormattableString.Invariant($"{Section}:{nameof(ReadinessTimeoutSeconds)} is {ReadinessTimeoutSeconds}; it must be above 0 and at most 3600 (seconds)."));
        }

        if (!double.IsFinite(ReadinessMaxProjectionLagSeconds) || ReadinessMaxProjectionLagSeconds <= 0 || ReadinessMaxProjectionLagSeconds > 7 * 86400)
        {
            problems.Add(FormattableString.Invariant($"{Section}:{nameof(ReadinessMaxProjectionLagSeconds)} is {ReadinessMaxProjectionLagSeconds}; it must be above 0 and at most 604800 (seconds)."));
        }

        if (!double.IsFinite(StartupTimeoutSeconds) || StartupTimeoutSeconds < 0 || StartupTimeoutSeconds > 3600)
        {
            problems.Add(FormattableString.Invariant($"{Section}:{nameof(StartupTimeoutSeconds)} is {StartupTimeoutSeconds}; it must be 0 or more and at most 3600 (seconds)."));
        }

        // Checked here, not when the agency's first case is numbered: a prefix no case number can have failed every open
        // of that agency with a 500, and an entry under a key that is no agency id was never used, without a word.
        foreach (var (agency, prefix) in CasePrefixes)
        {
            if (!IsAgencyId(agency))
            {
                problems.Add($"{Section}:{nameof(CasePrefixes)} has an entry for '{agency}', which is no agency id: an agency id is 1–64 letters, digits, '-', '_' or '.'.");
            }
            else if (!string.IsNullOrWhiteSpace(prefix) && !IsCaseNumberPrefix(prefix))
            {
                problems.Add($"{Section}:{nameof(CasePrefixes)}:{agency} is '{prefix}'; it must be 2–8 upper-case letters or digits starting with a letter (e.g. SPR).");
            }
        }

        return problems;
    }

    private static bool IsAgencyId(string agency)
    {
        try
        {
            _ = new AgencyId(agency);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsCaseNumberPrefix(string prefix)
    {
        try
        {
            _ = new CaseNumber(prefix, 2000, 1);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Refuses unusable <see cref="ServerSettings"/> when the service starts, naming each setting, instead of failing on the first request that reads it.</summary>
internal sealed class ServerSettingsValidation : IValidateOptions<ServerSettings>
{
    public ValidateOptionsResult Validate(string? name, ServerSettings options) =>
        options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;
}

using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels.CaseSummary;
using NodaTime;
using NodaTime.Text;

namespace EmbeddedAgency.Requests;

/// <summary>A citizen's request, as the desk types it in.</summary>
public sealed record OpenRequestBody(
    string? Service, string? Description, double? Latitude, double? Longitude, string? Address, string? CitizenName, string? CitizenEmail);

/// <summary>Who takes the case: a team, and optionally one of its agents.</summary>
public sealed record AssignBody(string? Team, string? Agent);

/// <summary>How the case was resolved: a short code and a sentence for the citizen.</summary>
public sealed record ResolveBody(string? Resolution, string? Summary);

/// <summary>A request that was opened.</summary>
public sealed record OpenedRequest(string Id, string Number, string? Team, long Version);

/// <summary>A command that was applied; <see cref="Version"/> is the case's version after it.</summary>
public sealed record CommandApplied(string Id, CaseStatus Status, long Version);

/// <summary>A request as the case summary read model shows it.</summary>
public sealed record RequestView(
    string Id, string Number, string Service, CaseStatus Status, CasePriority Priority, string? Team, string? Assignee,
    string? Address, string OpenedAt, string? ResolvedAt, string? SlaDue, bool SlaBreached, long Version)
{
    public static RequestView From(CaseSummaryRow row, Instant now)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new(row.CaseId, row.CaseNumber, row.Service, row.Status, row.Priority, row.Team, row.Assignee, row.Address,
            Iso(row.OpenedAt), Iso(row.ResolvedAt), Iso(row.SlaDue), row.IsSlaBreached(now), row.Version);
    }

    internal static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    internal static string? Iso(Instant? instant) => instant is { } i ? Iso(i) : null;
}

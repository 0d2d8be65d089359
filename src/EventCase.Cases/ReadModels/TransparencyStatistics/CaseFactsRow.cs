using EventCase.Cases.ReadModels.CaseSummary;
using NodaTime;

namespace EventCase.Cases.ReadModels.TransparencyStatistics;

/// <summary>
/// The facts about one case that the transparency statistics aggregate. Immutable.
/// </summary>
/// <param name="Case">The case as it stands (status, service, opened and closed instants, reopen count, SLA timeline).</param>
/// <param name="FirstResolvedAt">When the case was first resolved, if it was.</param>
/// <param name="CalendarResolutionHours">Wall-clock hours from opening to the first resolution.</param>
/// <param name="BusinessResolutionHours">Business hours on the agency calendar from opening to the first resolution
/// (time waiting on the citizen included: it is what the citizen experienced).</param>
/// <param name="MetSla">Whether the first resolution came before the SLA target was missed.</param>
/// <param name="Satisfaction">The last satisfaction score (1–5) the citizen gave, if any.</param>
/// <param name="OpenSince">When the case last entered an open status, while it is open; null otherwise.</param>
public sealed record CaseFactsRow(
    CaseSummaryRow Case,
    Instant? FirstResolvedAt,
    double? CalendarResolutionHours,
    double? BusinessResolutionHours,
    bool? MetSla,
    int? Satisfaction,
    Instant? OpenSince);

/// <summary>A stretch of time during which a case was open (in the backlog), from entering an open status to leaving it.</summary>
/// <param name="Service">The case's service.</param>
/// <param name="From">When it became open (opened or reopened).</param>
/// <param name="Until">When it stopped being open (resolved, cancelled, merged or transferred out).</param>
public sealed record OpenInterval(string Service, Instant From, Instant Until);

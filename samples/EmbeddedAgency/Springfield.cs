using EventCase.Cases;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.Hosting;
using NodaTime;

namespace EmbeddedAgency;

/// <summary>
/// The one agency this host serves: Springfield's 311 desk, with three services, a downtown polygon whose potholes go to
/// the downtown crew, graffiti to the clean team, everything else to public works, and a weekday calendar in
/// America/Chicago with two holidays. Configuration as code: change it and restart, and the difference is recorded.
/// </summary>
public static class Springfield
{
    /// <summary>The agency id.</summary>
    public const string Agency = "springfield";

    /// <summary>Downtown Springfield, a made-up quadrilateral around the town square.</summary>
    public static GeoArea Downtown { get; } = GeoArea.PolygonArea(
        "Downtown",
        new GeoPoint(39.795, -89.655), new GeoPoint(39.795, -89.640), new GeoPoint(39.805, -89.640), new GeoPoint(39.805, -89.655));

    /// <summary>Adds the services, routing and calendar.</summary>
    public static void Configure(AgencyOptions agency)
    {
        ArgumentNullException.ThrowIfNull(agency);
        agency.CaseNumberPrefix = "SPR";
        agency.AddService("pothole", "Pothole", "A pothole in a street or bike lane.", SlaTarget.BusinessHours(40), CasePriority.Normal, "Streets")
            .AddService("streetlight", "Streetlight out", "A streetlight that is out or flickering.", SlaTarget.BusinessHours(24), CasePriority.Normal, "Streets")
            .AddService("graffiti", "Graffiti removal", "Graffiti on public property.", SlaTarget.BusinessHours(80), CasePriority.Low, "Cleanliness")
            .AddRoutingRule("downtown-potholes", "downtown-crew", Downtown, "pothole")
            .AddRoutingRule("graffiti-anywhere", "clean-team", null, "graffiti")
            .UseWeekdayCalendar("America/Chicago", new LocalTime(8, 0), new LocalTime(17, 0), new LocalDate(2026, 7, 3), new LocalDate(2026, 12, 25));
        agency.DefaultTeam = "public-works";
    }
}

using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.EventStore.Metadata;
using EventCase.Server.Admin;
using NodaTime;

namespace EventCase.Server.Hosting;

/// <summary>
/// A small demo agency, seeded when it has no catalog yet, so that a fresh checkout can open a case at once:
/// four 311 services, a routing table (potholes to the roads team, everything else to the street team) and a
/// weekday calendar in America/New_York.
/// </summary>
internal static class DemoSeed
{
    public const string Agency = "demo-city";

    public static async Task<bool> SeedWhenEmptyAsync(ReferenceData reference, CancellationToken cancellationToken)
    {
        var agency = new AgencyId(Agency);
        var catalog = await reference.LoadCatalogAsync(agency, cancellationToken);
        if (catalog.Version > 0)
        {
            return false;
        }

        var now = SystemClock.Instance.GetCurrentInstant();
        var metadata = EventMetadata.System("seed");
        ServiceAttribute Depth() => new("depth", AttributeDatatype.SingleValueList, false, "How deep is it?", 1,
            [new AttributeValue("shallow", "Less than 5 cm"), new AttributeValue("deep", "5 cm or more")]);
        ServiceDefinition[] services =
        [
            new(new ServiceCode("pothole"), "Pothole", "A pothole in a street or bike lane.", agency, CasePriority.Normal, SlaTarget.BusinessHours(40), [Depth()], "Streets", ["road", "hole"]),
            new(new ServiceCode("streetlight"), "Streetlight out", "A streetlight that is out or flickering.", agency, CasePriority.Normal, SlaTarget.BusinessHours(24), [], "Streets", ["light"]),
            new(new ServiceCode("graffiti"), "Graffiti removal", "Graffiti on public property.", agency, CasePriority.Low, SlaTarget.BusinessHours(80), [], "Cleanliness", ["paint"]),
            new(new ServiceCode("missed-trash"), "Missed trash pickup", "Trash or recycling was not collected.", agency, CasePriority.High, SlaTarget.BusinessHours(16), [], "Sanitation", ["garbage", "recycling"]),
        ];
        await reference.AppendAsync(agency, ReferenceData.CatalogStream, 0,
            [.. services.Select(s => (object)new ServiceDefined(s.Code, s, now))], metadata, null, cancellationToken);
        await reference.AppendAsync(agency, ReferenceData.RoutingStream, 0,
        [
            new DefaultRouteSet(agency, new TeamId("street-team"), now),
            new RoutingRuleAdded(new RoutingRule("potholes-to-roads", 10, [new ServiceCode("pothole")], null, agency, new TeamId("roads")), now),
        ], metadata, null, cancellationToken);
        var hours = Enumerable.Range(1, 5).Select(d => new CalendarHours((IsoDayOfWeek)d, new LocalTime(8, 0), new LocalTime(17, 0))).ToArray();
        var calendar = await reference.LoadCalendarAsync(agency, cancellationToken);
        if (calendar.Version == 0)
        {
            await reference.AppendAsync(agency, ReferenceData.CalendarStream, 0,
                [new CalendarSet(agency, new CalendarDefinition("America/New_York", hours, [new LocalDate(2026, 12, 25)]), now)], metadata, null, cancellationToken);
        }

        return true;
    }
}

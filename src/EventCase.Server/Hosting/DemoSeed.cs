using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Server.Admin;
using NodaTime;

namespace EventCase.Server.Hosting;

/// <summary>
/// A small demo agency, seeded when it has no catalog yet, so that a fresh checkout can open a case at once:
/// four 311 services, a routing table (potholes to the roads team, everything else to the street team) and a
/// weekday calendar in America/New_York. Several nodes starting at once on an empty database all find no catalog; the
/// first to append seeds, and the others, whose appends expected no stream, find it seeded and carry on.
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
        if (!await AppendUnlessWrittenAsync(reference, agency, ReferenceData.CatalogStream,
                [.. services.Select(s => (object)new ServiceDefined(s.Code, s, now))], metadata, cancellationToken))
        {
            // Another node seeded the catalog since this one looked: it seeds the routing table and calendar too.
            return false;
        }

        await AppendUnlessWrittenAsync(reference, agency, ReferenceData.RoutingStream,
        [
            new DefaultRouteSet(agency, new TeamId("street-team"), now),
            new RoutingRuleAdded(new RoutingRule("potholes-to-roads", 10, [new ServiceCode("pothole")], null, agency, new TeamId("roads")), now),
        ], metadata, cancellationToken);
        var hours = Enumerable.Range(1, 5).Select(d => new CalendarHours((IsoDayOfWeek)d, new LocalTime(8, 0), new LocalTime(17, 0))).ToArray();
        var calendar = await reference.LoadCalendarAsync(agency, cancellationToken);
        if (calendar.Version == 0)
        {
            await AppendUnlessWrittenAsync(reference, agency, ReferenceData.CalendarStream,
                [new CalendarSet(agency, new CalendarDefinition("America/New_York", hours, [new LocalDate(2026, 12, 25)]), now)], metadata, cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Appends the first events of a reference stream; false, with nothing written, when the stream was written meanwhile
    /// (another node seeding at the same moment, or an admin): the seed never replaces what is there.
    /// </summary>
    private static async Task<bool> AppendUnlessWrittenAsync(
        ReferenceData reference, AgencyId agency, string stream, IReadOnlyList<object> events, EventMetadata metadata, CancellationToken cancellationToken)
    {
        try
        {
            await reference.AppendAsync(agency, stream, 0, events, metadata, null, cancellationToken);
            return true;
        }
        catch (WrongExpectedVersionException)
        {
            return false;
        }
    }
}

using System.Text.Json;
using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Routing;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using NodaTime;

namespace EventCase.Hosting;

/// <summary>
/// Brings an agency's stored reference data (catalog, routing table, calendar streams) in line with the host's
/// configuration at start-up. The configuration is the source of truth: each difference is decided by the catalog's
/// and routing table's own deciders and recorded as events (a service no longer configured is retired), and a start
/// with an unchanged configuration appends nothing.
/// </summary>
internal static class AgencyReferenceSync
{
    private const int MaxAttempts = 3;
    private const string RetiredReason = "no longer in the host's configuration";

    /// <summary>Applies the differences; returns how many events were appended.</summary>
    public static async Task<int> ApplyAsync(
        ReferenceData reference, JsonSerializerOptions json, ConfiguredAgency agency, IClock clock, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ApplyOnceAsync(reference, json, agency, clock.GetCurrentInstant(), cancellationToken);
            }
            catch (WrongExpectedVersionException) when (attempt < MaxAttempts)
            {
                // Another node of the same host started at the same moment and wrote first: compare with what it wrote.
            }
        }
    }

    private static async Task<int> ApplyOnceAsync(
        ReferenceData reference, JsonSerializerOptions json, ConfiguredAgency agency, Instant now, CancellationToken cancellationToken)
    {
        var metadata = EventMetadata.System("eventcase-hosting:" + agency.Id.Value);
        var appended = 0;

        var catalog = await reference.LoadCatalogAsync(agency.Id, cancellationToken);
        var catalogChanges = CatalogChanges(catalog.Value, agency.Services, now, json);
        if (catalogChanges.Count > 0)
        {
            await reference.AppendAsync(agency.Id, ReferenceData.CatalogStream, catalog.Version, [.. catalogChanges], metadata, null, cancellationToken);
            appended += catalogChanges.Count;
        }

        var routing = await reference.LoadRoutingAsync(agency.Id, cancellationToken);
        var routingChanges = RoutingChanges(routing.Value, agency, now, json);
        if (routingChanges.Count > 0)
        {
            await reference.AppendAsync(agency.Id, ReferenceData.RoutingStream, routing.Version, [.. routingChanges], metadata, null, cancellationToken);
            appended += routingChanges.Count;
        }

        var calendar = await reference.LoadCalendarAsync(agency.Id, cancellationToken);
        if (!Same(calendar.Value, agency.Calendar, json))
        {
            await reference.AppendAsync(agency.Id, ReferenceData.CalendarStream, calendar.Version, [new CalendarSet(agency.Id, agency.Calendar, now)], metadata, null, cancellationToken);
            appended++;
        }

        return appended;
    }

    /// <summary>The catalog events that turn <paramref name="stored"/> into the configured services. Pure.</summary>
    internal static IReadOnlyList<CatalogEvent> CatalogChanges(ServiceCatalog stored, IReadOnlyList<ServiceDefinition> configured, Instant now, JsonSerializerOptions json)
    {
        var current = stored;
        var events = new List<CatalogEvent>();
        void Decide(CatalogCommand command)
        {
            var decision = ServiceCatalog.Decide(command, current);
            if (decision.Rejection is { } rejection)
            {
                throw new InvalidOperationException($"The catalog cannot take the configured services: {rejection.Message}.");
            }

            foreach (var e in decision.Events)
            {
                events.Add(e);
                current = ServiceCatalog.Evolve(current, e);
            }
        }

        foreach (var definition in configured)
        {
            switch (current.Find(definition.Code))
            {
                case null:
                    Decide(new DefineService(definition, now));
                    break;
                case var existing:
                    if (existing.IsRetired)
                    {
                        Decide(new ReinstateService(definition.Code, now));
                    }

                    if (!Same(existing.Definition, definition, json))
                    {
                        Decide(new UpdateService(definition, now));
                    }

                    break;
            }
        }

        foreach (var (code, entry) in stored.Services.OrderBy(s => s.Key.Value, StringComparer.Ordinal))
        {
            if (!entry.IsRetired && configured.All(d => d.Code != code))
            {
                Decide(new RetireService(code, RetiredReason, now));
            }
        }

        return events;
    }

    /// <summary>The routing events that turn <paramref name="stored"/> into the configured rules and default team. Pure.</summary>
    internal static IReadOnlyList<RoutingEvent> RoutingChanges(RoutingTable stored, ConfiguredAgency agency, Instant now, JsonSerializerOptions json)
    {
        var current = stored;
        var events = new List<RoutingEvent>();
        void Decide(RoutingCommand command)
        {
            var decision = RoutingTable.Decide(command, current);
            if (decision.Rejection is { } rejection)
            {
                throw new InvalidOperationException($"The routing table cannot take the configured rules: {rejection.Message}.");
            }

            foreach (var e in decision.Events)
            {
                events.Add(e);
                current = RoutingTable.Evolve(current, e);
            }
        }

        foreach (var rule in agency.RoutingRules)
        {
            switch (current.Rules.FirstOrDefault(r => r.RuleId == rule.RuleId))
            {
                case null:
                    Decide(new AddRoutingRule(rule, now));
                    break;
                case var existing when !Same(existing, rule, json):
                    Decide(new ReplaceRoutingRule(rule, now));
                    break;
            }
        }

        foreach (var rule in stored.Rules.Where(r => agency.RoutingRules.All(c => c.RuleId != r.RuleId)))
        {
            Decide(new RemoveRoutingRule(rule.RuleId, now));
        }

        if (agency.DefaultTeam is { } team)
        {
            Decide(new SetDefaultRoute(agency.Id, team, now));
        }

        return events;
    }

    // The domain records hold lists, which records compare by reference; what is stored is their JSON, so compare that.
    private static bool Same<T>(T stored, T configured, JsonSerializerOptions json) =>
        string.Equals(JsonSerializer.Serialize(stored, json), JsonSerializer.Serialize(configured, json), StringComparison.Ordinal);
}

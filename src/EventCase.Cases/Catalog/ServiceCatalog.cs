using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Catalog;

/// <summary>Something that happened to an agency's service catalog.</summary>
/// <param name="Service">The service concerned.</param>
/// <param name="At">When.</param>
public abstract record CatalogEvent(ServiceCode Service, Instant At);

/// <summary>A new service was added to the catalog.</summary>
/// <param name="Service">Its code.</param>
/// <param name="Definition">Its definition.</param>
/// <param name="At">When.</param>
[EventType("catalog.service-defined.v1")]
public sealed record ServiceDefined(ServiceCode Service, ServiceDefinition Definition, Instant At) : CatalogEvent(Service, At);

/// <summary>A service's definition was replaced (new attributes, SLA, priority…). Open cases keep what they were opened with.</summary>
/// <param name="Service">Its code.</param>
/// <param name="Definition">The new definition.</param>
/// <param name="At">When.</param>
[EventType("catalog.service-updated.v1")]
public sealed record ServiceUpdated(ServiceCode Service, ServiceDefinition Definition, Instant At) : CatalogEvent(Service, At);

/// <summary>A service stopped taking new requests.</summary>
/// <param name="Service">Its code.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
[EventType("catalog.service-retired.v1")]
public sealed record ServiceRetired(ServiceCode Service, string Reason, Instant At) : CatalogEvent(Service, At);

/// <summary>A retired service takes requests again.</summary>
/// <param name="Service">Its code.</param>
/// <param name="At">When.</param>
[EventType("catalog.service-reinstated.v1")]
public sealed record ServiceReinstated(ServiceCode Service, Instant At) : CatalogEvent(Service, At);

/// <summary>A request to change the catalog.</summary>
/// <param name="Now">The current instant.</param>
public abstract record CatalogCommand(Instant Now);

/// <summary>Adds a service.</summary>
/// <param name="Definition">The definition.</param>
/// <param name="Now">The current instant.</param>
public sealed record DefineService(ServiceDefinition Definition, Instant Now) : CatalogCommand(Now);

/// <summary>Replaces a service's definition.</summary>
/// <param name="Definition">The new definition (same code).</param>
/// <param name="Now">The current instant.</param>
public sealed record UpdateService(ServiceDefinition Definition, Instant Now) : CatalogCommand(Now);

/// <summary>Stops a service taking requests.</summary>
/// <param name="Service">Its code.</param>
/// <param name="Reason">Why.</param>
/// <param name="Now">The current instant.</param>
public sealed record RetireService(ServiceCode Service, string Reason, Instant Now) : CatalogCommand(Now);

/// <summary>Lets a retired service take requests again.</summary>
/// <param name="Service">Its code.</param>
/// <param name="Now">The current instant.</param>
public sealed record ReinstateService(ServiceCode Service, Instant Now) : CatalogCommand(Now);

/// <summary>Why a catalog command was refused.</summary>
public enum CatalogRejectionKind
{
    /// <summary>The code is already in the catalog.</summary>
    AlreadyDefined,

    /// <summary>The code is not in the catalog.</summary>
    UnknownService,

    /// <summary>The service is retired.</summary>
    Retired,

    /// <summary>The service is not retired.</summary>
    NotRetired,

    /// <summary>The definition is inconsistent.</summary>
    InvalidDefinition,
}

/// <summary>A refused catalog command.</summary>
/// <param name="Kind">What kind of problem.</param>
/// <param name="Message">The rule, in plain words.</param>
public sealed record CatalogRejection(CatalogRejectionKind Kind, string Message)
{
    /// <summary>
    /// For <see cref="CatalogRejectionKind.InvalidDefinition"/>, each problem with the member it is about (the
    /// definition's, or the command's <c>reason</c>); empty for the other kinds.
    /// </summary>
    public IReadOnlyList<DefinitionProblem> Problems { get; init; } = [];

    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>The outcome of <see cref="ServiceCatalog.Decide"/>.</summary>
public sealed class CatalogDecision : Decision<CatalogEvent, CatalogRejection>
{
    private CatalogDecision(IReadOnlyList<CatalogEvent> events)
        : base(events)
    {
    }

    private CatalogDecision(CatalogRejection rejection)
        : base(rejection)
    {
    }

    /// <summary>Accepted with these events.</summary>
    public static CatalogDecision Accept(params CatalogEvent[] events) => new(events);

    /// <summary>Refused.</summary>
    public static CatalogDecision Reject(CatalogRejection rejection) => new(rejection);
}

/// <summary>
/// An agency's service catalog, folded from its events: every service ever defined with its current definition and
/// whether it is retired. Also the catalog's decider. Immutable and thread safe.
/// </summary>
public sealed record ServiceCatalog
{
    private ServiceCatalog(IReadOnlyDictionary<ServiceCode, CatalogEntry> services) => Services = services;

    /// <summary>The catalog before any event.</summary>
    public static ServiceCatalog Empty { get; } = new(new Dictionary<ServiceCode, CatalogEntry>());

    /// <summary>Every service, retired ones included.</summary>
    public IReadOnlyDictionary<ServiceCode, CatalogEntry> Services { get; }

    /// <summary>The services taking requests, ordered by code.</summary>
    public IEnumerable<ServiceDefinition> Offered =>
        Services.Values.Where(e => !e.IsRetired).Select(e => e.Definition).OrderBy(d => d.Code.Value, StringComparer.Ordinal);

    /// <summary>The entry for <paramref name="code"/>, or null.</summary>
    public CatalogEntry? Find(ServiceCode code) => Services.GetValueOrDefault(code);

    /// <summary>Folds events, oldest first, from <see cref="Empty"/>.</summary>
    public static ServiceCatalog Fold(IEnumerable<CatalogEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Aggregate(Empty, Evolve);
    }

    /// <summary>Applies one event.</summary>
    public static ServiceCatalog Evolve(ServiceCatalog catalog, CatalogEvent @event)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var services = new Dictionary<ServiceCode, CatalogEntry>(catalog.Services);
        switch (@event)
        {
            case ServiceDefined e:
                services[e.Service] = new CatalogEntry(e.Definition);
                break;
            case ServiceUpdated e:
                services[e.Service] = new CatalogEntry(e.Definition, services.GetValueOrDefault(e.Service)?.IsRetired ?? false);
                break;
            case ServiceRetired e when services.TryGetValue(e.Service, out var entry):
                services[e.Service] = entry with { IsRetired = true };
                break;
            case ServiceReinstated e when services.TryGetValue(e.Service, out var entry):
                services[e.Service] = entry with { IsRetired = false };
                break;
            default:
                return catalog;
        }

        return new ServiceCatalog(services);
    }

    /// <summary>Decides a catalog command. Pure.</summary>
    public static CatalogDecision Decide(CatalogCommand command, ServiceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(catalog);
        switch (command)
        {
            case DefineService c:
                if (catalog.Find(c.Definition.Code) is not null)
                {
                    return Reject(CatalogRejectionKind.AlreadyDefined, $"service '{c.Definition.Code}' is already in the catalog; DefineService needs a new code (use UpdateService to change it)");
                }

                return InvalidDefinition(c.Definition) ?? CatalogDecision.Accept(new ServiceDefined(c.Definition.Code, c.Definition, c.Now));
            case UpdateService c:
                var existing = catalog.Find(c.Definition.Code);
                if (existing is null)
                {
                    return Unknown(c.Definition.Code, "UpdateService");
                }

                if (existing.IsRetired)
                {
                    return Reject(CatalogRejectionKind.Retired, $"service '{c.Definition.Code}' is retired; UpdateService needs an offered service (reinstate it first)");
                }

                return InvalidDefinition(c.Definition)
                    ?? (existing.Definition == c.Definition ? CatalogDecision.Accept() : CatalogDecision.Accept(new ServiceUpdated(c.Definition.Code, c.Definition, c.Now)));
            case RetireService c:
                return catalog.Find(c.Service) switch
                {
                    null => Unknown(c.Service, "RetireService"),
                    { IsRetired: true } => Reject(CatalogRejectionKind.Retired, $"service '{c.Service}' is retired; RetireService needs an offered service"),
                    _ when string.IsNullOrWhiteSpace(c.Reason) => CatalogDecision.Reject(new CatalogRejection(CatalogRejectionKind.InvalidDefinition, $"service '{c.Service}' is offered; RetireService needs a reason")
                    {
                        Problems = [new DefinitionProblem("reason", "RetireService needs a reason")],
                    }),
                    _ => CatalogDecision.Accept(new ServiceRetired(c.Service, c.Reason, c.Now)),
                };
            case ReinstateService c:
                return catalog.Find(c.Service) switch
                {
                    null => Unknown(c.Service, "ReinstateService"),
                    { IsRetired: false } => Reject(CatalogRejectionKind.NotRetired, $"service '{c.Service}' is offered; ReinstateService needs a retired service"),
                    _ => CatalogDecision.Accept(new ServiceReinstated(c.Service, c.Now)),
                };
            default:
                throw new ArgumentException($"{command.GetType().Name} is not a catalog command.", nameof(command));
        }
    }

    /// <summary>Every catalog event type, for registering with the event store.</summary>
    public static IReadOnlyList<Type> EventTypes { get; } =
        [typeof(ServiceDefined), typeof(ServiceUpdated), typeof(ServiceRetired), typeof(ServiceReinstated)];

    private static CatalogDecision? InvalidDefinition(ServiceDefinition definition)
    {
        var problems = definition.FindProblems();
        return problems.Count == 0
            ? null
            : CatalogDecision.Reject(new CatalogRejection(CatalogRejectionKind.InvalidDefinition,
                $"service '{definition.Code}' has an invalid definition: {string.Join("; ", problems.Select(p => p.Message).Distinct(StringComparer.Ordinal))}")
            {
                Problems = problems,
            });
    }

    private static CatalogDecision Unknown(ServiceCode code, string action) =>
        Reject(CatalogRejectionKind.UnknownService, $"service '{code}' is not in the catalog; {action} needs a defined service");

    private static CatalogDecision Reject(CatalogRejectionKind kind, string message) => CatalogDecision.Reject(new CatalogRejection(kind, message));
}

using EventCase.EventStore.Projections;

namespace EventCase.Hosting;

/// <summary>
/// What <see cref="EventCaseServiceCollectionExtensions.AddEventCase"/> sets up: the database, the schema, the agencies
/// the host serves and whether this node runs the projection daemon. Checked when the host starts (see
/// <see cref="EventCaseOptionsValidator"/>); a host that is misconfigured does not start.
/// </summary>
public sealed class EventCaseOptions
{
    /// <summary>The default <see cref="Schema"/>.</summary>
    public const string DefaultSchema = "eventcase";

    /// <summary>
    /// A PostgreSQL connection string (a user allowed to create the schema). Null or blank starts an embedded PostgreSQL
    /// cluster from the machine's PostgreSQL binaries instead, in <see cref="EmbeddedDataDirectory"/>: for development
    /// and samples, not for production.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Where the embedded cluster keeps its data when there is no <see cref="ConnectionString"/>; null for the directory
    /// the service and the CLI use (<see cref="EventCaseDataDirectory.Default"/>), so <c>eventcase replay</c> sees the
    /// host's cases.
    /// </summary>
    public string? EmbeddedDataDirectory { get; set; }

    /// <summary>The PostgreSQL schema of the event store, the read models and the case tables: lower-case letters, digits and underscores.</summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>
    /// Whether this host runs the projection daemon, which keeps the async read models (SLA clocks, audit trail,
    /// statistics) up to date. Default true. Turn it off on nodes that only take commands when another process runs
    /// it; the case summary and work queues are inline read models and stay current either way.
    /// </summary>
    public bool RunProjectionDaemon { get; set; } = true;

    /// <summary>Settings of the projection daemon (batch size, poll interval, …).</summary>
    public ProjectionDaemonOptions ProjectionDaemon { get; set; } = new();

    /// <summary>
    /// Projections of your own, registered beside the built-in ones: their tables are created at start, async ones are
    /// kept up by the daemon, inline ones are written by this host's appends. Names and tables must differ from the
    /// built-in ones: a clash, a null entry or a definition the store refuses stops the host at start with the other
    /// option problems, naming it, before anything touches the database. Every process that appends to the same database must
    /// register the same inline projections, or its appends leave them behind; async ones need only the daemon's nodes.
    /// </summary>
    public IList<Projection> Projections { get; } = [];

    /// <summary>The agencies (tenants) this host serves, each with its catalog, routing and calendar. At least one.</summary>
    public IList<AgencyOptions> Agencies { get; } = [];

    /// <summary>Adds an agency and configures it.</summary>
    /// <param name="id">The agency id (tenant): lower-case letters, digits and dashes, as in <c>springfield</c>.</param>
    /// <param name="configure">Adds its services, routing rules and calendar.</param>
    /// <returns>These options, for chaining.</returns>
    public EventCaseOptions AddAgency(string id, Action<AgencyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var agency = new AgencyOptions { Id = id };
        configure(agency);
        Agencies.Add(agency);
        return this;
    }
}

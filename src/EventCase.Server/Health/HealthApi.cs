using EventCase.Cases.Schema;
using EventCase.EventStore;
using EventCase.EventStore.Schema;
using EventCase.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EventCase.Server.Health;

/// <summary>A readiness check.</summary>
/// <param name="Name">What was checked.</param>
/// <param name="Healthy">Whether it passed.</param>
/// <param name="Detail">What was found.</param>
public sealed record HealthCheck(string Name, bool Healthy, string Detail);

/// <summary>The readiness report.</summary>
/// <param name="Status">healthy or unhealthy.</param>
/// <param name="Checks">Each check.</param>
public sealed record HealthReport(string Status, IReadOnlyList<HealthCheck> Checks);

/// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (database, schema, projection lag).</summary>
public static class HealthApi
{
    /// <summary>Maps the health routes (anonymous).</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder endpoints)
    {
        var health = endpoints.MapGroup("/health").WithTags("Health").AllowAnonymous();
        health.MapGet("/live", static () => TypedResults.Ok(new HealthReport("healthy", [new HealthCheck("process", true, "answering")])))
            .WithName("Live").WithSummary("The process is up.");
        health.MapGet("/ready", ReadyAsync)
            .WithName("Ready").WithSummary("Database reachable, schema current, projections caught up.")
            .Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    private static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> ReadyAsync(
        EventCaseDatabase database, ReadinessChecks readiness, IOptions<ServerSettings> settings, CancellationToken cancellationToken)
    {
        if (!database.WhenReady.IsCompletedSuccessfully)
        {
            return Unhealthy([new HealthCheck("database", false, database.WhenReady.IsFaulted ? "start-up failed" : "starting")]);
        }

        // The probe waits for the checks up to a deadline of its own, and no longer: a database that takes connections
        // but does not answer (frozen, partitioned away) keeps the driver waiting for its connect and command timeouts
        // (15 s, then 30 s twice over) whatever token it is given, and a probe that times out says nothing about why.
        var timeout = TimeSpan.FromSeconds(settings.Value.ReadinessTimeoutSeconds);
        var running = readiness.CurrentAsync();
        IReadOnlyList<HealthCheck> checks;
        try
        {
            checks = await running.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException) when (!running.IsCompleted)
        {
            checks = [new HealthCheck("database", false, FormattableString.Invariant($"no answer within {timeout.TotalSeconds:0.#} s"))];
        }

        var counted = settings.Value.ReadinessCountsProjections ? checks : checks.Where(c => !c.Name.StartsWith(ProjectionCheck, StringComparison.Ordinal));
        return counted.All(c => c.Healthy) ? TypedResults.Ok(new HealthReport("healthy", checks)) : Unhealthy(checks);
    }

    private const string ProjectionCheck = "projection:";

    /// <summary>Runs the readiness checks against the database; never throws for a database that is not there.</summary>
    internal static async Task<IReadOnlyList<HealthCheck>> RunChecksAsync(EventCaseDatabase database, TimeSpan maxProjectionLag)
    {
        var checks = new List<HealthCheck>();
        try
        {
            await ReadyChecksAsync(database, maxProjectionLag, checks, CancellationToken.None);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            checks.Add(new HealthCheck("database", false, "unreachable"));
        }

        return checks;
    }

    private static async Task ReadyChecksAsync(EventCaseDatabase database, TimeSpan maxProjectionLag, List<HealthCheck> checks, CancellationToken cancellationToken)
    {
        await using (var ping = database.DataSource.CreateCommand("SELECT 1"))
        {
            await ping.ExecuteScalarAsync(cancellationToken);
        }

        checks.Add(new HealthCheck("database", true, "reachable"));
        var store = await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, database.Schema, PostgresEventStore.MigrationSet, cancellationToken);
        var cases = await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, database.Schema, CasesSchema.MigrationSet, cancellationToken);
        var storeLatest = PostgresEventStore.Migrations.Max(m => m.Version);
        var casesLatest = CasesSchema.Migrations.Max(m => m.Version);
        checks.Add(new HealthCheck("schema", store == storeLatest && cases == casesLatest,
            FormattableString.Invariant($"eventstore {store}/{storeLatest}, cases {cases}/{casesLatest}")));
        foreach (var status in await database.Store.Projections.GetStatusAsync(cancellationToken))
        {
            var healthy = status.Failure is null && status.Lag <= maxProjectionLag;
            checks.Add(new HealthCheck(ProjectionCheck + status.Name, healthy,
                FormattableString.Invariant($"{status.State}, {status.LagEvents} events behind ({status.Lag.TotalSeconds:0.#} s)")));
        }
    }

    private static JsonHttpResult<HealthReport> Unhealthy(IReadOnlyList<HealthCheck> checks) =>
        TypedResults.Json(new HealthReport("unhealthy", checks), statusCode: StatusCodes.Status503ServiceUnavailable);
}

/// <summary>
/// The readiness checks, one run at a time: a probe that arrives while a run is still waiting on the database waits for
/// that run instead of starting another, so that probes against a database that does not answer do not pile up
/// connections and queries behind it (each probe stops waiting at its deadline; the run ends with the driver's timeouts).
/// </summary>
internal sealed class ReadinessChecks(EventCaseDatabase database, IOptions<ServerSettings> settings)
{
    private readonly Lock _gate = new();
    private Task<IReadOnlyList<HealthCheck>>? _running;

    /// <summary>The run in progress, or a new one when none is.</summary>
    public Task<IReadOnlyList<HealthCheck>> CurrentAsync()
    {
        lock (_gate)
        {
            if (_running is null || _running.IsCompleted)
            {
                _running = HealthApi.RunChecksAsync(database, TimeSpan.FromSeconds(settings.Value.ReadinessMaxProjectionLagSeconds));
            }

            return _running;
        }
    }
}

using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;

namespace EventCase.Server.Admin;

/// <summary>
/// The read models as an admin sees them: every projection's state and rebuild progress (the service's, for all
/// agencies: read-only), and one case of the admin's agency rebuilt from its events when only its rows are wrong.
/// Whole rebuilds stay an operator's (<c>eventcase projections rebuild</c>): they load the database for every agency.
/// </summary>
public static class ReadModelsAdmin
{
    /// <summary>Maps <c>GET /admin/projections</c> and <c>POST /admin/cases/{id}/read-models/rebuild</c> on the admin group.</summary>
    public static void Map(RouteGroupBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        admin.MapGet("/projections", GetProjectionsAsync).WithName("GetProjections")
            .WithSummary("Every read model's state: checkpoint and lag, owner, failure, and the progress of a rebuild (events done, rate, time left). The service's projections serve every agency: this reads, and changes nothing.")
            .RequireAuthorization(Policies.Admin);
        admin.MapPost("/cases/{id}/read-models/rebuild", RebuildCaseAsync).WithName("RebuildCaseReadModels")
            .WithSummary("Folds the case's rows in every read model again from its events, when only they are wrong (a whole rebuild is not needed): at once, in one transaction. Each read model says whether its stored rows agreed with the events; ?dryRun=true only compares and changes nothing.")
            .RequireAuthorization(Policies.Admin)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .WithRouteParameter("id", CasesApi.CaseIdDescription)
            .WithQueryParameter("dryRun", QueryType.Boolean, "true: only compare the stored rows with a fold of the case's events; change nothing (default false).");
    }

    private static async Task<Ok<ProjectionsView>> GetProjectionsAsync(EventCaseDatabase database, CancellationToken cancellationToken)
    {
        var statuses = await database.Store.Projections.GetStatusAsync(cancellationToken);
        // Which transaction, and for how long: not its statement, which may be any agency's (the CLI shows it to operators).
        var waitingOn = statuses.FirstOrDefault(s => s.WaitingOn is not null)?.WaitingOn is { } text && text.IndexOf(" s: ", StringComparison.Ordinal) is var cut and > 0
            ? text[..(cut + 2)]
            : null;
        return TypedResults.Ok(new ProjectionsView(statuses.Select(ProjectionView.From).ToList(), waitingOn));
    }

    private static async Task<Results<Ok<CaseReadModelsRebuild>, ProblemHttpResult>> RebuildCaseAsync(
        string id, HttpContext http, EventCaseDatabase database, string? dryRun, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        var dry = v.Boolean(dryRun, "dryRun") ?? false;
        if (!v.IsValid)
        {
            return v.Problem();
        }

        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        var stream = CaseStreams.For(caller.Agency, caseId);
        if (!(await database.Store.ReadStreamVersionsAsync([stream], cancellationToken)).ContainsKey(stream))
        {
            return Problems.NotFoundCase(id);
        }

        IReadOnlyList<StreamRebuildResult> results;
        try
        {
            results = await database.Store.Projections.RebuildStreamAsync(stream, new StreamRebuildOptions { DryRun = dry }, cancellationToken);
        }
        catch (StreamRebuildRefusedException e)
        {
            // A read model due for a whole rebuild (its tables are another version's): that rebuild replaces every row.
            return Problems.Of(StatusCodes.Status409Conflict, "read-models.rebuild-pending", "A read model is due for a whole rebuild", e.Message);
        }
        catch (ProjectionFailedException e)
        {
            // The read model's own code fails on one of the case's events: not the caller's input, and nothing changed.
            return Problems.Of(
                StatusCodes.Status500InternalServerError,
                "read-models.projection-failed",
                "A read model cannot fold the case's events",
                (e.Event is { } failedOn
                    ? $"Read model {e.ProjectionName} fails on the case's event {failedOn.StreamVersion} ({failedOn.EventType}): "
                    : $"Read model {e.ProjectionName} cannot write the case's rows: ") + $"{FirstLine(e.InnerException?.Message ?? e.Message)}. Nothing was changed.",
                new Dictionary<string, object?> { ["projection"] = e.ProjectionName, ["version"] = e.Event?.StreamVersion });
        }

        return TypedResults.Ok(new CaseReadModelsRebuild(
            caseId.Value,
            dry,
            results.Any(r => r.Changed),
            results.Select(r => new CaseReadModelRebuild(r.Projection, r.EventsApplied, r.UpTo?.Position, r.RowsBefore, r.RowsAfter, r.EntriesBefore, r.EntriesAfter, r.Changed)).ToList()));
    }

    internal static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}

/// <summary>The read models' state.</summary>
/// <param name="Projections">Each projection, by name.</param>
/// <param name="WaitingOn">The oldest write transaction open for over a second anywhere on the server, which holds every projection's reads back, if one is: its id, process and age.</param>
public sealed record ProjectionsView(IReadOnlyList<ProjectionView> Projections, string? WaitingOn);

/// <summary>One read model's state.</summary>
/// <param name="Name">The projection (and its table).</param>
/// <param name="Mode">inline (written by each append) or async (by its owner, from the log).</param>
/// <param name="Version">The version its live tables were built by.</param>
/// <param name="State">running, rebuilding or failed.</param>
/// <param name="Built">Whether its live tables were ever built from the log.</param>
/// <param name="CheckpointPosition">The log position its live tables reflect (async).</param>
/// <param name="HeadPosition">The position of the last event in the log's order: the checkpoint of a read model that has caught up.</param>
/// <param name="LagEvents">Events after its checkpoint (0 for inline).</param>
/// <param name="LagSeconds">How long the oldest of them has waited.</param>
/// <param name="Owner">The node that owns it.</param>
/// <param name="OwnerHeartbeatAt">When its owner last reported.</param>
/// <param name="Failure">Where it stopped and why, when failed.</param>
/// <param name="Rebuild">The running (or the last) rebuild's progress.</param>
public sealed record ProjectionView(
    string Name,
    string? Mode,
    int Version,
    string State,
    bool Built,
    long CheckpointPosition,
    long HeadPosition,
    long LagEvents,
    double LagSeconds,
    string? Owner,
    Instant? OwnerHeartbeatAt,
    ProjectionFailureView? Failure,
    RebuildProgressView? Rebuild)
{
    internal static ProjectionView From(ProjectionStatus status) => new(
        status.Name,
        status.Mode switch { ProjectionMode.Inline => "inline", ProjectionMode.Async => "async", _ => null },
        status.Version,
        status.State,
        status.Built,
        status.Checkpoint.Position,
        status.HeadPosition,
        status.LagEvents,
        Math.Round(status.Lag.TotalSeconds, 3),
        status.Owner,
        status.OwnerHeartbeatAt,
        status.Failure is { } f ? new ProjectionFailureView(f.Position, f.EventId, f.EventType, ReadModelsAdmin.FirstLine(f.Error)) : null,
        status.Rebuild is { } r
            ? new RebuildProgressView(r.StartedAt, r.Position, r.TargetPosition, r.Events, Math.Round(r.EventsPerSecond), r.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : null)
            : null);
}

/// <summary>Where a read model stopped.</summary>
/// <param name="Position">The log position of the event it failed on; null when no single event is to blame.</param>
/// <param name="EventId">That event's id.</param>
/// <param name="EventType">That event's type.</param>
/// <param name="Error">The error's first line (the whole of it is in the service's log and in <c>eventcase projections status</c>).</param>
public sealed record ProjectionFailureView(long? Position, Guid? EventId, string? EventType, string Error);

/// <summary>A rebuild's progress.</summary>
/// <param name="StartedAt">When it started.</param>
/// <param name="Position">The log position it reached.</param>
/// <param name="TargetPosition">The head of the log when it started.</param>
/// <param name="Events">Log events it read.</param>
/// <param name="EventsPerSecond">Its rate so far.</param>
/// <param name="EtaSeconds">Its estimated time left, while it runs.</param>
public sealed record RebuildProgressView(Instant? StartedAt, long Position, long TargetPosition, long Events, double EventsPerSecond, double? EtaSeconds);

/// <summary>The outcome of rebuilding one case's read-model rows.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="DryRun">Whether it only compared.</param>
/// <param name="Changed">Whether any read model's rows disagreed with the case's events (and, unless a dry run, were rebuilt).</param>
/// <param name="ReadModels">Each read model that keeps one row per case.</param>
public sealed record CaseReadModelsRebuild(string CaseId, bool DryRun, bool Changed, IReadOnlyList<CaseReadModelRebuild> ReadModels);

/// <summary>One read model's part.</summary>
/// <param name="Projection">The read model.</param>
/// <param name="EventsFolded">The case's events it folded.</param>
/// <param name="UpToPosition">For an async read model, the checkpoint its rows reflect (its owner applies what follows); null for an inline one (the whole case).</param>
/// <param name="RowsBefore">The case's rows before (0 or 1).</param>
/// <param name="RowsAfter">After.</param>
/// <param name="EntriesBefore">The case's entries (audit entries, open intervals) before.</param>
/// <param name="EntriesAfter">After.</param>
/// <param name="Changed">Whether the stored rows or entries differed from the fold.</param>
public sealed record CaseReadModelRebuild(
    string Projection, int EventsFolded, long? UpToPosition, int RowsBefore, int RowsAfter, int EntriesBefore, int EntriesAfter, bool Changed);

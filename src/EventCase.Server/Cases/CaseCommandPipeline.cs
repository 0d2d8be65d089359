using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;

namespace EventCase.Server.Cases;

/// <summary>What a command builder gets: the case, the clock reading, the caller and a place for field errors.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Now">The current instant.</param>
/// <param name="Caller">Who calls.</param>
/// <param name="Errors">Field errors (a builder returns null after adding some).</param>
/// <param name="Database">The database (to look up other cases of the agency).</param>
/// <param name="Settings">Server settings.</param>
/// <param name="Cancellation">The request's cancellation token, for look-ups.</param>
public sealed record CommandInput(CaseId CaseId, Instant Now, Caller Caller, Validation Errors, EventCaseDatabase Database, ServerSettings Settings, CancellationToken Cancellation);

/// <summary>
/// The path of every case command route: check the route id, read If-Match and Idempotency-Key, read and validate the
/// body, check a citizen owns the case, build the domain command, hand it to <see cref="CaseCommandHandler"/>, and
/// turn the result into a response: 200 with the events (also for a retry), 404/409/422 for a rejection, 422 for an
/// Idempotency-Key already used for another request, 412 for a failed If-Match, 409 for a lost race. Nothing is written unless the handler accepts.
/// </summary>
public static class CaseCommandPipeline
{
    /// <summary>Runs one command route.</summary>
    public static Task<Results<Ok<CommandResponse>, ProblemHttpResult>> ExecuteAsync<TRequest>(
        HttpContext http,
        string id,
        Func<TRequest, CommandInput, ValueTask<CaseCommand?>> build,
        CancellationToken cancellationToken)
        where TRequest : class =>
        ExecuteAsync(http, id, build, null, cancellationToken);

    /// <summary>
    /// Runs one command route whose command is carried out by <paramref name="execute"/> instead of the command handler
    /// (a transfer, which opens the receiving agency's case in the same append). Everything before it is the same: the
    /// route id, the headers, the body, the caller's right to see the case, the command built and its field errors.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="id">The route's case id.</param>
    /// <param name="build">Builds the command from the body (null after adding field errors).</param>
    /// <param name="execute">Carries the command out and answers: gets the request, the body, the command, the context (with the
    /// idempotency key, fingerprint and If-Match) and the input. Null: the command handler, as for every other command.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public static async Task<Results<Ok<CommandResponse>, ProblemHttpResult>> ExecuteAsync<TRequest>(
        HttpContext http,
        string id,
        Func<TRequest, CommandInput, ValueTask<CaseCommand?>> build,
        Func<HttpContext, TRequest, CaseCommand, CommandContext, CommandInput, Task<Results<Ok<CommandResponse>, ProblemHttpResult>>>? execute,
        CancellationToken cancellationToken)
        where TRequest : class
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(build);
        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        if (!VersionHeaders.TryReadIfMatch(http.Request, out var ifMatch))
        {
            return Problems.Invalid("If-Match", "must be * or entity tags holding case versions, such as \"3\" or \"3\", \"4\".");
        }

        if (!VersionHeaders.TryReadIdempotencyKey(http.Request, out var key))
        {
            return Problems.Invalid("Idempotency-Key", VersionHeaders.IdempotencyKeyProblem(http.Request));
        }

        var (body, problem) = await JsonBody.ReadAsync<TRequest>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var services = http.RequestServices;
        var database = services.GetRequiredService<EventCaseDatabase>();
        var caller = Caller.From(http.User);
        // The case must be the caller's to see before anything about the request is looked at further: another agency's
        // case (or another citizen's) is answered exactly like one that does not exist.
        if (!CaseAccess.MaySee(caller, await CaseAccess.ReadFirstAsync(database.Store, caller.Agency, caseId, cancellationToken)))
        {
            return Problems.NotFoundCase(id);
        }

        long? expected = null;
        if (ifMatch is { IsAny: false, StrongVersions: var versions })
        {
            if (versions.Count == 1)
            {
                expected = versions[0];
            }
            else
            {
                // The handler compares one version, as it decides; a list matches when it holds the current one, which is
                // then the version expected. A list that does not is the handler's 412 on its first version, after the
                // Idempotency-Key's replay, as for one tag; weak tags alone match nothing.
                var current = (await database.Store.GetStreamInfoAsync(new StreamName(caller.Agency.Value, caseId.Value), cancellationToken))?.Version ?? 0;
                if (versions.Count == 0)
                {
                    VersionHeaders.SetETag(http.Response, current);
                    return Problems.PreconditionOfWeakTags(current);
                }

                expected = versions.Contains(current) ? current : versions[0];
            }
        }

        var input = new CommandInput(caseId, services.GetRequiredService<IClock>().GetCurrentInstant(), caller, new Validation(), database,
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ServerSettings>>().Value, cancellationToken);
        var command = await build(body!, input);
        if (command is null || !input.Errors.IsValid)
        {
            return input.Errors.IsValid ? Problems.ForbiddenFor("Your role may not send this command.") : input.Errors.Problem();
        }

        var context = CreateContext(http, caller) with { IdempotencyKey = key, RequestFingerprint = FingerprintOf(key, command.Action, body!), ExpectedVersion = expected };
        if (execute is not null)
        {
            return await execute(http, body!, command, context, input);
        }

        var result = await database.CreateHandler().HandleAsync(command, context, cancellationToken);
        ServerMetrics.CommandHandled(command.Action, Outcome(result));
        return ToResponse(http, result, caseId, database.Store);
    }

    /// <summary>
    /// What a request with an Idempotency-Key asked for: a hash of the command and the body as read (re-serialized, so
    /// a retry that formats its JSON differently is still the same request). Null without a key.
    /// </summary>
    public static string? FingerprintOf(string? idempotencyKey, string action, object body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (idempotencyKey is null)
        {
            return null;
        }

        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(action + "\n"));
        hash.AppendData(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), ApiJson.Response));
        return Convert.ToBase64String(hash.GetHashAndReset(), 0, 18).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The command context of a request: agency, actor and role from the token, the correlation id, channel api.</summary>
    public static CommandContext CreateContext(HttpContext http, Caller caller, string channel = "api") =>
        new(caller.Agency, caller.Subject, caller.Role, Correlation.Of(http), channel);

    /// <summary>Turns a handler result into the HTTP answer.</summary>
    public static Results<Ok<CommandResponse>, ProblemHttpResult> ToResponse(HttpContext http, CaseCommandResult result, CaseId caseId, PostgresEventStore store)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(store);
        switch (result)
        {
            case CaseCommandResult.Accepted accepted:
                VersionHeaders.SetETag(http.Response, accepted.Version);
                return TypedResults.Ok(Response(caseId, NumberOf(accepted.State), accepted.Version, accepted.Events, store));
            case CaseCommandResult.AlreadyApplied applied:
                VersionHeaders.SetETag(http.Response, applied.Version);
                VersionHeaders.MarkReplayed(http.Response);
                return TypedResults.Ok(Response(caseId, NumberOf(applied.State), applied.Version, applied.Events, store));
            case CaseCommandResult.IdempotencyKeyReused reused:
                return Problems.KeyReused(reused.Difference);
            case CaseCommandResult.Rejected rejected:
                return Problems.Rejection(rejected.Rejection, rejected.Version);
            case CaseCommandResult.PreconditionFailed failed:
                VersionHeaders.SetETag(http.Response, failed.CurrentVersion);
                return Problems.Precondition(failed.ExpectedVersion, failed.CurrentVersion);
            case CaseCommandResult.ConcurrencyConflict conflict:
                return Problems.Conflict(conflict.ActualVersion);
            default:
                throw new InvalidOperationException($"Unknown command result {result.GetType().Name}.");
        }
    }

    /// <summary>The response body of an accepted command.</summary>
    public static CommandResponse Response(CaseId caseId, string? number, long version, IReadOnlyList<CaseEvent> events, PostgresEventStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var numbered = number ?? events.OfType<CaseOpened>().FirstOrDefault()?.Number.Value;
        return new CommandResponse(
            caseId.Value,
            numbered,
            version,
            [.. events.Select(e => new CommandEvent(store.Serializer.Registry.GetName(e.GetType()), JsonSerializer.SerializeToElement(e, e.GetType(), ApiJson.Response)))]);
    }

    /// <summary>The metric outcome of a result.</summary>
    public static string Outcome(CaseCommandResult result) => result switch
    {
        CaseCommandResult.Accepted => "accepted",
        CaseCommandResult.AlreadyApplied => "already-applied",
        CaseCommandResult.IdempotencyKeyReused => "idempotency-key-reused",
        CaseCommandResult.Rejected => "rejected",
        CaseCommandResult.PreconditionFailed => "precondition-failed",
        _ => "conflict",
    };

    private static string? NumberOf(CaseState state) => state is OpenedCase opened ? opened.Number.Value : null;
}

using EventCase.Cases.Lifecycle;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EventCase.Server.Http;

/// <summary>
/// RFC 9457 problem details with stable <c>type</c> URIs: <c>https://eventcase.dev/problems/{code}</c>, where the
/// code is a case rejection code (<c>case.invalid-status</c>) or one of the edge codes below. Clients switch on the
/// type (or the <c>code</c> extension), never on the title or detail text.
/// </summary>
public static class Problems
{
    /// <summary>The prefix of every problem type URI.</summary>
    public const string TypeBase = "https://eventcase.dev/problems/";

    /// <summary>The request (body, query, route value or header) is malformed or fails validation (400).</summary>
    public const string Validation = "request.invalid";

    /// <summary>The body is larger than the API reads (413).</summary>
    public const string BodyTooLarge = "request.body-too-large";

    /// <summary>The body is not JSON (415).</summary>
    public const string UnsupportedMediaType = "request.unsupported-media-type";

    /// <summary>No valid bearer token (401).</summary>
    public const string Unauthenticated = "auth.unauthenticated";

    /// <summary>The caller's role may not do this (403).</summary>
    public const string Forbidden = "auth.forbidden";

    /// <summary>Nothing at this address, or nothing the caller may see (404).</summary>
    public const string NotFound = "resource.not-found";

    /// <summary>The method is not allowed on this route (405).</summary>
    public const string MethodNotAllowed = "request.method-not-allowed";

    /// <summary>If-Match named another version than the current one (412).</summary>
    public const string PreconditionFailed = "concurrency.precondition-failed";

    /// <summary>Other writers changed the resource meanwhile; retry (409).</summary>
    public const string ConcurrencyConflict = "concurrency.conflict";

    /// <summary>The Idempotency-Key was used before for another request: another caller's, command or content (422).</summary>
    public const string IdempotencyKeyReused = "request.idempotency-key-reused";

    /// <summary>A catalog, routing or calendar change was refused (409 or 422).</summary>
    public const string ReferenceRejected = "reference-data.rejected";

    /// <summary>Something unexpected failed on the server (500); no internals are shown.</summary>
    public const string Internal = "server.internal-error";

    /// <summary>The database could not be reached or the connection to it was lost (503 with Retry-After): repeat the
    /// request, a write with the same Idempotency-Key.</summary>
    public const string Unavailable = "server.unavailable";

    /// <summary>A case's stored events were altered after they were written and no longer read as a case (500): the
    /// hash chain's first break is in the <c>finding</c> extension.</summary>
    public const string CaseAltered = "case.altered";

    /// <summary>The type URI of <paramref name="code"/>.</summary>
    public static string TypeOf(string code) => TypeBase + code;

    /// <summary>A problem with a stable code.</summary>
    public static ProblemHttpResult Of(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                all[key] = value;
            }
        }

        return TypedResults.Problem(detail, null, status, title, TypeOf(code), all);
    }

    /// <summary>A 400 naming each failing field.</summary>
    public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors, string? detail = null) =>
        Of(StatusCodes.Status400BadRequest, Validation, "The request is not valid.",
            detail ?? "See errors for each field that failed.", new Dictionary<string, object?> { ["errors"] = errors });

    /// <summary>A 400 for one field.</summary>
    public static ProblemHttpResult Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] }, message);

    /// <summary>
    /// The case's events were altered after they were written, and what was altered no longer reads or folds (500, so
    /// that monitoring sees it): the chain's first break, as <c>GET /audit/cases/{id}/verification</c> reports it.
    /// </summary>
    public static ProblemHttpResult Altered(string id, EventCase.EventStore.Auditing.AuditFinding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return Of(StatusCodes.Status500InternalServerError, CaseAltered, "The case was altered after it was written.",
            $"Case '{Truncate(id)}' cannot be shown: its stored events were altered after they were written and no longer read as a case. " +
            $"The hash chain's first break is in finding; GET /audit/cases/{Truncate(id)}/export gives the events as stored.",
            new Dictionary<string, object?> { ["finding"] = new Reports.CaseVerificationFinding(finding.Version, finding.Kind, finding.Detail) });
    }

    /// <summary>A 404 that does not say whether the resource exists elsewhere.</summary>
    public static ProblemHttpResult NotFoundCase(string id) =>
        Of(StatusCodes.Status404NotFound, "case.not-found", "No such case.", $"There is no case '{Truncate(id)}'.");

    /// <summary>A 403.</summary>
    public static ProblemHttpResult ForbiddenFor(string what) =>
        Of(StatusCodes.Status403Forbidden, Forbidden, "Not allowed.", what);

    /// <summary>A 412 with the current version.</summary>
    public static ProblemHttpResult Precondition(long expected, long current) =>
        Of(StatusCodes.Status412PreconditionFailed, PreconditionFailed, "The resource has changed.",
            $"If-Match named version {expected} but the current version is {current}.",
            new Dictionary<string, object?> { ["expectedVersion"] = expected, ["currentVersion"] = current });

    /// <summary>
    /// A 412 for an If-Match that names no version at all: a weak entity tag never matches under If-Match's strong
    /// comparison (RFC 9110 §13.1.1), whatever version it holds.
    /// </summary>
    public static ProblemHttpResult PreconditionOfWeakTags(long current) =>
        Of(StatusCodes.Status412PreconditionFailed, PreconditionFailed, "The resource has changed.",
            FormattableString.Invariant($"If-Match holds only weak entity tags, which never match a write's precondition; send the ETag as given, \"{current}\"."),
            new Dictionary<string, object?> { ["currentVersion"] = current });

    /// <summary>A 409 with the current version.</summary>
    public static ProblemHttpResult Conflict(long current) =>
        Of(StatusCodes.Status409Conflict, ConcurrencyConflict, "Concurrent changes.",
            "Other writers changed the resource while this request was decided; send it again.",
            new Dictionary<string, object?> { ["currentVersion"] = current });

    /// <summary>
    /// A 422 for an Idempotency-Key already used for another request. It says only what differed, never what the other
    /// request was or answered: it may be another caller's.
    /// </summary>
    public static ProblemHttpResult KeyReused(string difference) =>
        Of(StatusCodes.Status422UnprocessableEntity, IdempotencyKeyReused, "The Idempotency-Key was used for another request.",
            $"This key was used before for another request ({difference}); nothing was done. Send a new key with each new request.",
            new Dictionary<string, object?>
            {
                ["errors"] = new Dictionary<string, string[]> { ["Idempotency-Key"] = [$"was used before for another request ({difference})."] },
            });

    /// <summary>The problem for a case rejection: 404 not found, 422 for bad input, 409 for a rule of the case's state.</summary>
    public static ProblemHttpResult Rejection(CaseRejection rejection, long version)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        var extensions = new Dictionary<string, object?>
        {
            ["caseStatus"] = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(rejection.Status.ToString()),
            ["action"] = rejection.Action,
            ["currentVersion"] = version,
        };
        switch (rejection)
        {
            case CaseNotFound:
                return NotFoundCase(rejection.CaseLabel);
            case InvalidCommandInput input:
                extensions["errors"] = new Dictionary<string, string[]> { [FieldName(input.Field)] = [input.Problem] };
                return Of(StatusCodes.Status422UnprocessableEntity, rejection.Code, "The command's input breaks a case rule.", rejection.Message, extensions);
            case InvalidServiceAttributes attributes:
                extensions["errors"] = attributes.Errors
                    .GroupBy(e => "attributes." + e.AttributeCode, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal);
                return Of(StatusCodes.Status422UnprocessableEntity, rejection.Code, "The attributes do not match the service definition.", rejection.Message, extensions);
            default:
                return Of(StatusCodes.Status409Conflict, rejection.Code, "The case rules refuse this command.", rejection.Message, extensions);
        }
    }

    /// <summary>The camelCase JSON name of a domain field name.</summary>
    public static string FieldName(string field) =>
        string.IsNullOrEmpty(field) ? field : char.ToLowerInvariant(field[0]) + field[1..];

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

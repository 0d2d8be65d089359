using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace EventCase.Server.Http;

/// <summary>
/// The answers any operation can give besides its own, declared once in <c>components/responses</c> and referenced by
/// every operation, so that a client generated from the document handles them: <c>500</c> (something unexpected;
/// <see cref="UnexpectedErrorHandler"/>) and <c>503</c> with <c>Retry-After</c> (the database could not be reached or
/// the connection to it was lost; <see cref="DatabaseUnavailableHandler"/>). Under <c>/open311</c> they are GeoReport
/// error lists, as every Open311 error is. An operation that documents one of these statuses itself keeps its own.
/// </summary>
internal static class OpenApiResponses
{
    private const string ServerError = "ServerError";
    private const string Unavailable = "ServiceUnavailable";
    private const string Open311ServerError = "Open311ServerError";
    private const string Open311Unavailable = "Open311ServiceUnavailable";

    // Answered without the database: they cannot find it unavailable (readiness documents its own 503).
    private static readonly string[] WithoutDatabase = ["/health/live", "/health/ready", "/dev/token"];

    public static Task AddSharedResponses(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Responses ??= new Dictionary<string, IOpenApiResponse>(StringComparer.Ordinal);
        var retryAfter = new OpenApiHeader
        {
            Description = "Seconds to wait before repeating the request.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
        };
        document.Components.Responses[ServerError] = Problem(document,
            "Something unexpected failed (`server.internal-error`): the body shows no internals, only the `correlationId` to quote.");
        document.Components.Responses[Unavailable] = Problem(document,
            "The database could not be reached or the connection to it was lost (`server.unavailable`). Repeat a read after `Retry-After`; "
            + "a write may or may not have been applied: repeat it with the same `Idempotency-Key`, or read the resource first.", retryAfter);
        document.Components.Responses[Open311ServerError] = new OpenApiResponse
        {
            Description = "Something unexpected failed: a GeoReport error list (code 500) whose description ends with the correlation id.",
        };
        document.Components.Responses[Open311Unavailable] = new OpenApiResponse
        {
            Description = "The database could not be reached or the connection to it was lost: a GeoReport error list (code 503). Repeat the request after `Retry-After`, a post with the same `Idempotency-Key`.",
            Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal) { ["Retry-After"] = retryAfter },
        };

        foreach (var (path, item) in document.Paths)
        {
            var open311 = path.StartsWith("/open311/", StringComparison.Ordinal);
            foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            {
                operation.Responses ??= [];
                operation.Responses.TryAdd("500", new OpenApiResponseReference(open311 ? Open311ServerError : ServerError, document));
                if (!WithoutDatabase.Contains(path, StringComparer.Ordinal))
                {
                    operation.Responses.TryAdd("503", new OpenApiResponseReference(open311 ? Open311Unavailable : Unavailable, document));
                }
            }
        }

        return Task.CompletedTask;
    }

    private static OpenApiResponse Problem(OpenApiDocument document, string description, OpenApiHeader? retryAfter = null) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
        },
        Headers = retryAfter is null ? null : new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal) { ["Retry-After"] = retryAfter },
    };
}

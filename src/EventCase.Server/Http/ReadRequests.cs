using System.Globalization;

namespace EventCase.Server.Http;

/// <summary>
/// How every GET route answers what generic HTTP clients send besides GET (RFC 9110): <c>HEAD</c> with the same status
/// and headers and no body (§9.1: every general-purpose server must support it: load balancers' probes and link
/// checkers use it), and the preconditions of a route that sends an <c>ETag</c>: <c>If-Match</c> (§13.1.1: <c>412</c>
/// when it does not match, as for writes) and <c>If-None-Match</c> (§13.1.2: <c>304</c> with the <c>ETag</c> and no body
/// when it matches, so that a polling client or a cache revalidates without taking the body again).
/// </summary>
/// <remarks>
/// Why in one convention: each route states its own <c>ETag</c>, and what a precondition does with it is the same for
/// all of them. The conditions are evaluated once the route has answered: a read changes nothing, so answering it first
/// costs only the work a plain GET costs, and a route that does not answer <c>200</c> (a <c>404</c>, a problem) is left
/// as it is, since RFC 9110 §13.2.1 says preconditions are ignored when the answer without them would be no 2xx. A route
/// that sends no <c>ETag</c> has no validator to compare, and ignores both headers. HEAD is taken by routing, not by a
/// middleware that passes it on as GET: the route then says itself that it takes HEAD, so a 405 elsewhere lists it in
/// <c>Allow</c>, and the handler, the logs and the problem details see the method that was sent. Kestrel sends no body
/// after a HEAD whatever the handler writes (RFC 9110 §9.3.2).
/// </remarks>
internal static class ReadRequests
{
    /// <summary>
    /// Makes every GET route mapped under <paramref name="builder"/> also take HEAD, and evaluate If-Match and
    /// If-None-Match against the ETag it answers with.
    /// </summary>
    public static TBuilder AnswerHeadAndPreconditions<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            // The last method metadata is the one routing and the 405's Allow header read.
            if (endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault() is not { } methods
                || !methods.HttpMethods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase)
                || methods.HttpMethods.Contains(HttpMethods.Head, StringComparer.OrdinalIgnoreCase))
            {
                return;
            }

            endpoint.Metadata.Add(new HttpMethodMetadata([.. methods.HttpMethods, HttpMethods.Head], methods.AcceptCorsPreflight));
            if (endpoint is RouteEndpointBuilder && endpoint.Metadata.OfType<System.Reflection.MethodInfo>().Any())
            {
                endpoint.FilterFactories.Add((_, next) => invocation => EvaluateAsync(invocation, next));
            }
        });
        return builder;
    }

    /// <summary>
    /// Leaves the HEAD operations <see cref="AnswerHeadAndPreconditions{TBuilder}"/> adds out of the OpenAPI document:
    /// HEAD is GET without the body, which docs/api.md says once for every route, and an operation per route would only
    /// repeat its GET (OpenAPI documents conventionally list no HEAD).
    /// </summary>
    public static Microsoft.AspNetCore.OpenApi.OpenApiOptions ExcludeHead(this Microsoft.AspNetCore.OpenApi.OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var included = options.ShouldInclude;
        options.ShouldInclude = description => !HttpMethods.IsHead(description.HttpMethod ?? "") && included(description);
        return options;
    }

    /// <summary>
    /// Declares in the OpenAPI document what a GET route that sends an ETag answers to preconditions besides its 200 and
    /// its 400 (a malformed If-Match or If-None-Match): 304 Not Modified, and the 412 problem.
    /// </summary>
    public static RouteHandlerBuilder ProducesRevalidation(this RouteHandlerBuilder route) =>
        route.Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status412PreconditionFailed);

    private static async ValueTask<object?> EvaluateAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var answer = await next(invocation);
        var http = invocation.HttpContext;
        var request = http.Request;
        if (StatusOf(answer) != StatusCodes.Status200OK || !TryReadVersion(http.Response.Headers.ETag, out var current))
        {
            return answer;
        }

        // RFC 9110 §13.2.2: If-Match first; If-None-Match only once it has passed.
        if (!VersionHeaders.TryReadIfMatch(request, out var ifMatch))
        {
            http.Response.Headers.ETag = default;
            return Problems.Invalid("If-Match", "must be * or entity tags holding versions, such as \"3\" or \"3\", \"4\".");
        }

        if (ifMatch is not null && !ifMatch.Matches(current))
        {
            return ifMatch.StrongVersions.Count == 0 ? Problems.PreconditionOfWeakTags(current) : Problems.Precondition(ifMatch.StrongVersions[0], current);
        }

        if (!TryReadIfNoneMatch(request, out var ifNoneMatch))
        {
            http.Response.Headers.ETag = default;
            return Problems.Invalid("If-None-Match", "must be * or entity tags, such as \"3\" or W/\"3\", \"4\".");
        }

        // The answer keeps the headers the route set (ETag, Cache-Control), as §15.4.5 asks of a 304.
        return ifNoneMatch is not null && ifNoneMatch.Matches(current) ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : answer;
    }

    /// <summary>The status a route's answer will be sent with, looking through <c>Results&lt;…&gt;</c>.</summary>
    private static int? StatusOf(object? answer)
    {
        while (answer is INestedHttpResult nested)
        {
            answer = nested.Result;
        }

        return (answer as IStatusCodeHttpResult)?.StatusCode;
    }

    /// <summary>The version an ETag this service sent names (<see cref="VersionHeaders.ETag"/>).</summary>
    private static bool TryReadVersion(string? etag, out long version)
    {
        version = 0;
        return etag is { Length: > 2 } && etag[0] == '"' && etag[^1] == '"'
            && long.TryParse(etag.AsSpan(1, etag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    /// <summary>
    /// Reads If-None-Match (RFC 9110 §13.1.2): absent or blank → null; <c>*</c>; a comma-separated list of entity tags
    /// (also over several field lines), weak or strong, each compared weakly. A tag that names no version of ours is
    /// well-formed and simply matches nothing (a proxy may have changed the tag it passed on). False (a 400) for what is
    /// no entity tag: one without its quotes, <c>*</c> beside tags, more than <see cref="VersionHeaders.MaxIfMatchTags"/> tags.
    /// </summary>
    private static bool TryReadIfNoneMatch(HttpRequest request, out IfNoneMatchCondition? condition)
    {
        condition = null;
        var header = string.Join(',', request.Headers.IfNoneMatch.Select(v => v ?? "")).Trim();
        if (header.Length == 0)
        {
            return true;
        }

        if (header == "*")
        {
            condition = new IfNoneMatchCondition([], IsAny: true);
            return true;
        }

        if (!VersionHeaders.TryReadEntityTags(header, out var tags))
        {
            return false;
        }

        condition = new IfNoneMatchCondition([.. tags.Select(t => t.Opaque)]);
        return true;
    }

    /// <summary>An If-None-Match header: any representation (<c>*</c>), or the opaque tags it lists (without their quotes), weak or not.</summary>
    private sealed record IfNoneMatchCondition(IReadOnlyList<string> OpaqueTags, bool IsAny = false)
    {
        /// <summary>The weak comparison (§8.8.3.2): the opaque tags are equal, whether either is weak or not.</summary>
        public bool Matches(long current) => IsAny || OpaqueTags.Contains(current.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }
}

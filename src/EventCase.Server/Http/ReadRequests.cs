namespace EventCase.Server.Http;

/// <summary>
/// How every GET route answers what generic HTTP clients send besides GET (RFC 9110): <c>HEAD</c> with the same status
/// and headers and no body (§9.1: every general-purpose server must support it: load balancers' probes and link
/// checkers use it).
/// </summary>
/// <remarks>
/// Why by routing and not by a middleware that passes HEAD on as GET: the route then says itself that it takes HEAD, so
/// a 405 elsewhere lists it in <c>Allow</c>, and the handler, the logs and the problem details see the method that was
/// sent. Kestrel sends no body after a HEAD whatever the handler writes (RFC 9110 §9.3.2).
/// </remarks>
internal static class ReadRequests
{
    /// <summary>Makes every GET route mapped under <paramref name="builder"/> also take HEAD.</summary>
    public static TBuilder AnswerHead<TBuilder>(this TBuilder builder)
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
        });
        return builder;
    }

    /// <summary>
    /// Leaves the HEAD operations <see cref="AnswerHead{TBuilder}"/> adds out of the OpenAPI document:
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
}

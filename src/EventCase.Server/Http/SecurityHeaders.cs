namespace EventCase.Server.Http;

/// <summary>
/// Headers that keep answers where they belong. An answer to a request that carried credentials (a bearer token, an
/// Open311 <c>api_key</c>) holds what only that caller may see — citizens' names, contacts, addresses, notes — so no
/// browser or proxy cache may keep it (<c>Cache-Control: no-store</c>): without it a browser keeps a case it showed on
/// a shared computer, and a proxy may keep an Open311 answer whose key is in the URL. Public Open311 answers (no key)
/// stay cacheable. No answer may be read by a browser as another type than the one it names (<c>nosniff</c>).
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>Adds the headers to every answer, whoever writes it (a handler, the authentication, the error handler).</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            // On starting, not now: the error handler clears the headers of a failed request before it answers.
            context.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                http.Response.Headers.XContentTypeOptions = "nosniff";
                if (CarriesCredentials(http.Request))
                {
                    http.Response.Headers.CacheControl = "no-store";
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });

    private static bool CarriesCredentials(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 || request.Query["api_key"].Any(key => !string.IsNullOrEmpty(key));
}

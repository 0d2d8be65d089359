using System.Diagnostics;

namespace EventCase.Server.Http;

/// <summary>
/// The correlation id of a request: the client's <c>X-Correlation-Id</c> when it is a sane token (1–100 letters,
/// digits, '-', '_', '.', ':'), otherwise a new one. It is echoed in the response, put in the logging scope, written
/// into the metadata of every event the request appends, and added to every problem body.
/// </summary>
public static class Correlation
{
    /// <summary>The header name.</summary>
    public const string Header = "X-Correlation-Id";

    private const string ItemKey = "eventcase.correlation-id";

    /// <summary>The request's correlation id.</summary>
    public static string Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(ItemKey, out var value) && value is string id ? id : context.TraceIdentifier;
    }

    /// <summary>Assigns the correlation id, logs the request and its outcome.</summary>
    public static IApplicationBuilder UseCorrelationAndRequestLogging(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("EventCase.Server.Requests");
        return app.Use(async (context, next) =>
        {
            var given = context.Request.Headers[Header].ToString();
            var id = IsSane(given) ? given : Guid.CreateVersion7().ToString("N");
            context.Items[ItemKey] = id;
            context.Response.Headers[Header] = id;
            var started = Stopwatch.GetTimestamp();
            using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
            {
                await next(context);
                logger.LogInformation(
                    "{Method} {Path} → {StatusCode} in {ElapsedMs:0.0} ms (correlation {CorrelationId})",
                    context.Request.Method,
                    context.Request.Path.Value,
                    context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    id);
            }
        });
    }

    private static bool IsSane(string value) =>
        value.Length is > 0 and <= 100 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}

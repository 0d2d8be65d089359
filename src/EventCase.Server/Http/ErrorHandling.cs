using EventCase.Server.Auth;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace EventCase.Server.Http;

/// <summary>Counts the requests that ended in the unexpected-error handler; tests assert bad input never gets here.</summary>
public sealed class UnexpectedErrors
{
    private int _count;

    /// <summary>How many requests failed unexpectedly since start.</summary>
    public int Count => Volatile.Read(ref _count);

    internal void Increment() => Interlocked.Increment(ref _count);
}

/// <summary>
/// The last resort: anything unexpected becomes a 500 problem that shows no internals (no message, no stack), only
/// the correlation id to quote; the exception is logged with it.
/// </summary>
internal sealed class UnexpectedErrorHandler(UnexpectedErrors counter, IProblemDetailsService problems, ILogger<UnexpectedErrorHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        counter.Increment();
        logger.LogError(exception, "Unexpected error on {Method} {Path} (correlation {CorrelationId})",
            httpContext.Request.Method, httpContext.Request.Path.Value, Correlation.Of(httpContext));
        httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Type = Problems.TypeOf(Problems.Internal),
                Title = "Something went wrong on our side.",
                Detail = "The error was logged; quote the correlation id when reporting it.",
            },
        });
    }
}

/// <summary>
/// The database could not be reached, or the connection to it was lost mid-request (a restart, a failover, a killed
/// backend, an exhausted connection pool): a 503 with <c>Retry-After</c>, so that clients and proxies retry, instead of
/// the 500 that says the request itself made the service fail. Nothing is lost, but a write's outcome is unknown to
/// the service too (its commit may have reached the database before the connection did not), so the answer says how to
/// repeat it safely.
/// </summary>
internal sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before repeating the request.</summary>
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception) || httpContext.Response.HasStarted)
        {
            return false;
        }

        logger.LogWarning(exception, "Database unavailable on {Method} {Path} (correlation {CorrelationId})",
            httpContext.Request.Method, httpContext.Request.Path.Value, Correlation.Of(httpContext));
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var write = !HttpMethods.IsGet(httpContext.Request.Method) && !HttpMethods.IsHead(httpContext.Request.Method);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = Problems.TypeOf(Problems.Unavailable),
                Title = "The database is unavailable.",
                Detail = write
                    ? "The database could not be reached or the connection to it was lost, so whether this write was applied is unknown. Repeat it with the same Idempotency-Key, which applies it at most once, or read the resource first."
                    : "The database could not be reached or the connection to it was lost. Repeat the request in a moment.",
                Extensions = { ["code"] = Problems.Unavailable },
            },
        });
    }

    /// <summary>
    /// True when <paramref name="exception"/> (or one it wraps) says the database was not there to answer: Npgsql failing
    /// to connect or losing the connection (an <see cref="NpgsqlException"/> that is no server error: a socket error, a
    /// timeout, an exhausted pool), or a server error about the connection itself (class 08), the server shutting down,
    /// starting up or terminating the backend (57P01–57P03), or out of resources (class 53: too many connections, no
    /// memory, a full disk). Any other server error is an answer from a running database, and a defect to report as such.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;
                case NpgsqlException:
                    return true;
            }
        }

        return false;
    }
}

/// <summary>Gives every problem body its stable type, its code and the correlation id.</summary>
internal static class ProblemDefaults
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (problem.Type is null || !problem.Type.StartsWith(Problems.TypeBase, StringComparison.Ordinal))
        {
            var code = status switch
            {
                400 => Problems.Validation,
                401 => Problems.Unauthenticated,
                403 => Problems.Forbidden,
                404 => Problems.NotFound,
                405 => Problems.MethodNotAllowed,
                413 => Problems.BodyTooLarge,
                415 => Problems.UnsupportedMediaType,
                503 => Problems.Unavailable,
                _ => Problems.Internal,
            };
            problem.Type = Problems.TypeOf(code);
            problem.Extensions["code"] = code;
            problem.Detail ??= status switch
            {
                401 => "Send a valid bearer token (Authorization: Bearer …).",
                // The role check of the route's policy, before any handler: say whose role was refused, and where the
                // roles each route takes are listed (the role is the token's, which its holder knows).
                403 => $"A token with the role '{context.HttpContext.User.FindFirst(EventCaseClaims.Role)?.Value}' may not use this route; docs/api.md lists the roles each route takes.",
                // The routing answers these before any handler of ours runs; say what would be taken.
                405 => $"This route does not take {context.HttpContext.Request.Method}; the Allow header lists the methods it takes.",
                415 => "The body must be JSON: send Content-Type: application/json.",
                _ => null,
            };
        }
        else if (!problem.Extensions.ContainsKey("code"))
        {
            problem.Extensions["code"] = problem.Type[Problems.TypeBase.Length..];
        }

        problem.Extensions.Remove("traceId");
        problem.Extensions["correlationId"] = Correlation.Of(context.HttpContext);
    }
}

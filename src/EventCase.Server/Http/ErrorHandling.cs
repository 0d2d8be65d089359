using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

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
            if (status == 401)
            {
                problem.Detail ??= "Send a valid bearer token (Authorization: Bearer …).";
            }
        }
        else if (!problem.Extensions.ContainsKey("code"))
        {
            problem.Extensions["code"] = problem.Type[Problems.TypeBase.Length..];
        }

        problem.Extensions.Remove("traceId");
        problem.Extensions["correlationId"] = Correlation.Of(context.HttpContext);
    }
}

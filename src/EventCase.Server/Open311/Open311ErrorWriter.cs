using System.Globalization;
using EventCase.Server.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace EventCase.Server.Open311;

/// <summary>
/// Writes every problem of a request under <c>/open311</c> as a GeoReport error list in the format its path asks for
/// (<c>.xml</c>, else JSON), whatever produced it: the routing's 404, 405 and 415 (no handler of ours ran), the database
/// being unavailable, an unexpected error. Open311 clients parse that list; a problem-details body would reach them as
/// an answer they cannot read. Registered ahead of the default writer, which keeps every other path.
/// </summary>
internal sealed class Open311ErrorWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => Open311Api.Owns(context.HttpContext.Request);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var status = context.ProblemDetails.Status ?? http.Response.StatusCode;
        var description = context.ProblemDetails.Detail ?? Default(status, http.Request.Method) ?? context.ProblemDetails.Title ?? ReasonPhrases.GetReasonPhrase(status);
        if (status >= 500)
        {
            // What a problem carries as an extension: the id to quote when reporting it.
            description += string.Create(CultureInfo.InvariantCulture, $" Correlation id: {Correlation.Of(http)}.");
        }

        await Open311Api.WriteErrorAsync(http, status, description);
    }

    private static string? Default(int status, string method) => status switch
    {
        StatusCodes.Status404NotFound =>
            "There is no such Open311 resource: use services, services/{service_code}, requests, requests/{service_request_id} or tokens/{token}, each with .json or .xml.",
        StatusCodes.Status405MethodNotAllowed => $"This Open311 resource does not take {method}.",
        StatusCodes.Status415UnsupportedMediaType => "Send the request as a form: application/x-www-form-urlencoded or multipart/form-data.",
        _ => null,
    };
}

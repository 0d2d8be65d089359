using System.Text.Json;
using EventCase.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EventCase.Server.Http;

/// <summary>
/// Reads a JSON request body strictly and boundedly. Every way a body can be wrong — too large, not JSON, malformed,
/// a wrong type, an unknown or repeated member, <c>null</c> — becomes a 4xx problem naming the field, and nothing is
/// decided or written. The framework's own body binding is not used so that none of these reaches the exception handler.
/// </summary>
public static class JsonBody
{
    /// <summary>Reads the body as <typeparamref name="T"/>; exactly one of the results is non-null.</summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<ServerSettings>>().Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        var noContentType = string.IsNullOrWhiteSpace(request.ContentType);
        if (!noContentType && !IsJson(request.ContentType))
        {
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "The body must be JSON.",
                "Send Content-Type: application/json."));
        }

        if (RequestContentCoding.Unread(request) is { } coding)
        {
            var detail = RequestContentCoding.Refuse(request.HttpContext.Response, coding);
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "The body must not be compressed.", detail,
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["Content-Encoding"] = [detail] } }));
        }

        if (RequestCharset.Unread(request.ContentType) is { } charset)
        {
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "The body must be UTF-8 JSON.",
                RequestCharset.Refusal(charset)));
        }

        byte[] body;
        try
        {
            if (await ReadUpToAsync(request, limit, cancellationToken) is not { } read)
            {
                return (null, TooLarge(limit));
            }

            body = read;
        }
        catch (BadHttpRequestException e)
        {
            return (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge(limit)
                : Problems.Invalid("body", "The request body could not be read."));
        }

        if (body.Length == 0)
        {
            // No body at all reads as {}: commands without input need none, and missing fields are named below.
            body = "{}"u8.ToArray();
        }
        else if (noContentType)
        {
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "The body must be JSON.",
                "Send Content-Type: application/json."));
        }

        // RFC 8259 lets a parser ignore a byte order mark, and some clients (PowerShell's, .NET's with UTF8Encoding(true))
        // send one: it is not the client's content.
        var json = body.AsSpan().StartsWith("\uFEFF"u8) ? body.AsMemory(3) : body.AsMemory();
        try
        {
            var value = JsonSerializer.Deserialize<T>(json.Span, ApiJson.Request);
            return value is null
                ? (null, Problems.Invalid("body", "The body must be a JSON object, not null."))
                : (value, null);
        }
        catch (JsonException e) when (MissingMembers(e) is { Count: > 0 } missing)
        {
            var field = FieldOf(e.Path);
            return (null, Problems.Invalid(missing.ToDictionary(m => field == "body" ? m : field + "." + m, _ => new[] { "is required." }, StringComparer.Ordinal)));
        }
        catch (JsonException e)
        {
            return (null, Problems.Invalid(FieldOf(e.Path), Describe(e)));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or OverflowException)
        {
            // A value object's constructor refused a value (a converter or record constructor threw).
            return (null, Problems.Invalid("body", "A value in the body is not valid: " + e.Message));
        }
    }

    /// <summary>True for <c>application/json</c> and <c>application/*+json</c>.</summary>
    public static bool IsJson(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>"$.to.team" → "to.team"; "$" or nothing → "body".</summary>
    public static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? "body" : field;
    }

    private static string Describe(JsonException e)
    {
        // The framework's messages name CLR types and repeat the path; say it plainly instead.
        var message = e.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "This member is not part of the request.";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "The value has the wrong type or format.";
        }

        if (message.StartsWith("Duplicate propert", StringComparison.Ordinal))
        {
            return "This member is given more than once.";
        }

        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }

    /// <summary>
    /// The required members a body lacks (<see cref="ApiJson.Request"/>), from the serializer's
    /// "… was missing required properties including: 'start', 'end'." (their JSON names); empty for any other error.
    /// </summary>
    private static List<string> MissingMembers(JsonException e)
    {
        const string Marker = "missing required properties including: ";
        var at = e.Message.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        var list = e.Message[(at + Marker.Length)..];
        var end = list.IndexOf(" Path:", StringComparison.Ordinal);
        return [.. (end < 0 ? list : list[..end]).TrimEnd('.', ' ').Split(", ").Select(n => n.Trim('\'')).Where(n => n.Length > 0)];
    }

    /// <summary>
    /// The whole body, or null when it is longer than <paramref name="limit"/> bytes. A chunked body has no length to
    /// check before reading; this stops reading at the limit under any server.
    /// </summary>
    public static async Task<byte[]?> ReadUpToAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ProblemHttpResult TooLarge(int limit) =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge, "The body is too large.",
            FormattableString.Invariant($"The API reads bodies of at most {limit} bytes."));
}

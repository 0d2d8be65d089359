namespace EventCase.Server.Http;

/// <summary>
/// Request bodies are read as sent, without a content coding: the service decompresses none. A body that says it is
/// compressed (<c>Content-Encoding: gzip</c>) is refused with a 415 naming the header (RFC 9110 §15.5.16, with
/// <c>Accept-Encoding: identity</c> saying what is taken) instead of being read as if it were not: compressed, it was
/// refused as malformed JSON with a message about its first byte; labelled but sent plain, it was taken against its label.
/// </summary>
public static class RequestContentCoding
{
    /// <summary>The content coding the request's body declares that the service does not read, cut to 40 characters; null for none or <c>identity</c>.</summary>
    public static string? Unread(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var codings = string.Join(',', request.Headers.ContentEncoding.Select(v => v ?? ""))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unread = codings.FirstOrDefault(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase));
        return unread is null ? null : unread.Length <= 40 ? unread : unread[..40] + "…";
    }

    /// <summary>Says which codings are taken (RFC 9110 §12.5.3: a 415 for a content coding lists them) and returns what the refusal says.</summary>
    public static string Refuse(HttpResponse response, string coding)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.AcceptEncoding = "identity";
        return $"Content-Encoding: {coding} is not read; send the body uncompressed (no Content-Encoding).";
    }
}

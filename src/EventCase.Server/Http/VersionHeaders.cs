using System.Globalization;

namespace EventCase.Server.Http;

/// <summary>ETag = the stream version, as a strong entity tag (<c>"3"</c>); If-Match names the version a write expects.</summary>
public static class VersionHeaders
{
    /// <summary>The ETag value of <paramref name="version"/>.</summary>
    public static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>Sets the ETag header.</summary>
    public static void SetETag(HttpResponse response, long version)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.ETag = ETag(version);
    }

    /// <summary>
    /// Reads If-Match: absent or <c>*</c> → no expectation; <c>"3"</c>, <c>W/"3"</c> or <c>3</c> → 3; anything else →
    /// a validation error.
    /// </summary>
    public static bool TryReadIfMatch(HttpRequest request, out long? expected)
    {
        ArgumentNullException.ThrowIfNull(request);
        expected = null;
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return true;
        }

        var value = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        value = value.Trim('"');
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version <= int.MaxValue * 1000L)
        {
            expected = version;
            return true;
        }

        return false;
    }

    /// <summary>Says that the answer is the one a retry with the same Idempotency-Key gets: the write was made before.</summary>
    public static void MarkReplayed(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers["Idempotent-Replayed"] = "true";
    }

    /// <summary>Reads Idempotency-Key: absent → null; 1–200 printable characters → the key; else a validation error.</summary>
    public static bool TryReadIdempotencyKey(HttpRequest request, out string? key)
    {
        ArgumentNullException.ThrowIfNull(request);
        key = null;
        var values = request.Headers["Idempotency-Key"];
        if (values.Count == 0)
        {
            return true;
        }

        var value = values.ToString().Trim();
        if (values.Count > 1 || value.Length is 0 or > 200 || value.Any(c => c < 0x20 || c > 0x7e))
        {
            return false;
        }

        key = value;
        return true;
    }
}

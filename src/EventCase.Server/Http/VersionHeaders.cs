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

    /// <summary>The most entity tags an If-Match list may hold: a client names the versions it has seen, not a range.</summary>
    public const int MaxIfMatchTags = 100;

    /// <summary>
    /// Reads If-Match (RFC 9110 §13.1.1): absent or blank → null (no expectation); <c>*</c> → <see cref="IfMatchCondition.Any"/>;
    /// a comma-separated list of entity tags (also over several field lines) → the versions its strong tags name. Weak
    /// tags (<c>W/"3"</c>) are well-formed but never match, since If-Match compares strongly. False (a 400) for anything
    /// else: a tag without its quotes (<c>3</c>, <c>"3</c>), a tag that holds no version (<c>"three"</c>, <c>"-1"</c>),
    /// <c>*</c> beside tags, more than <see cref="MaxIfMatchTags"/> tags.
    /// </summary>
    public static bool TryReadIfMatch(HttpRequest request, out IfMatchCondition? condition)
    {
        ArgumentNullException.ThrowIfNull(request);
        condition = null;
        var values = request.Headers.IfMatch;
        // Field lines given more than once mean their values joined as one list (RFC 9110 §5.3).
        var header = string.Join(',', values.Select(v => v ?? ""));
        if (header.Trim().Length == 0)
        {
            return true;
        }

        if (header.Trim() == "*")
        {
            condition = IfMatchCondition.Any;
            return true;
        }

        if (!TryReadEntityTags(header, out var tags))
        {
            return false;
        }

        var strong = new List<long>();
        foreach (var (weak, opaque) in tags)
        {
            if (!long.TryParse(opaque, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version > int.MaxValue * 1000L)
            {
                return false;
            }

            if (!weak)
            {
                strong.Add(version);
            }
        }

        condition = new IfMatchCondition(strong);
        return true;
    }

    /// <summary>
    /// Splits an If-Match or If-None-Match value (its field lines joined with commas) into its entity tags (RFC 9110
    /// §8.8.3): each with whether it is weak (<c>W/</c>) and its opaque part without the quotes. Empty list elements and
    /// the whitespace around elements are allowed (§5.6.1). False for what is no list of entity tags: a tag without its
    /// quotes, a character an entity tag cannot hold, <c>*</c> beside tags, more than <see cref="MaxIfMatchTags"/> tags.
    /// </summary>
    internal static bool TryReadEntityTags(string header, out List<(bool Weak, string Opaque)> tags)
    {
        tags = [];
        var i = 0;
        while (true)
        {
            while (i < header.Length && header[i] is ' ' or '\t' or ',')
            {
                i++;
            }

            if (i == header.Length)
            {
                return true;
            }

            var weak = header.AsSpan(i).StartsWith("W/", StringComparison.Ordinal);
            i += weak ? 2 : 0;
            var end = i < header.Length && header[i] == '"' ? header.IndexOf('"', i + 1) : -1;
            if (end < 0 || tags.Count == MaxIfMatchTags || header.AsSpan(i + 1, end - i - 1).ContainsAnyExceptInRange('\x21', '\x7e'))
            {
                return false;
            }

            tags.Add((weak, header.Substring(i + 1, end - i - 1)));
            i = end + 1;
            while (i < header.Length && header[i] is ' ' or '\t')
            {
                i++;
            }

            if (i < header.Length && header[i] != ',')
            {
                return false;
            }
        }
    }

    /// <summary>Says that the answer is the one a retry with the same Idempotency-Key gets: the write was made before.</summary>
    public static void MarkReplayed(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers["Idempotent-Replayed"] = "true";
    }

    /// <summary>
    /// What is wrong with an Idempotency-Key <see cref="TryReadIdempotencyKey"/> refused, as the sentence under the
    /// header's name: a key given twice (even twice the same) is not one key, whatever each value is.
    /// </summary>
    public static string IdempotencyKeyProblem(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers["Idempotency-Key"].Count > 1
            ? "is given more than once; send one key."
            : "must be 1–200 printable ASCII characters.";
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

/// <summary>
/// What an If-Match header asks of a write: any current version (<c>*</c>), or one of the versions its strong entity
/// tags name. Weak tags name none, so a header holding only weak tags never matches (412). Immutable.
/// </summary>
/// <param name="StrongVersions">The versions named by strong tags, in the header's order; empty for <c>*</c> and for weak tags only.</param>
/// <param name="IsAny">True for <c>*</c>.</param>
public sealed record IfMatchCondition(IReadOnlyList<long> StrongVersions, bool IsAny = false)
{
    /// <summary><c>If-Match: *</c>: the resource exists, at whatever version.</summary>
    public static IfMatchCondition Any { get; } = new([], IsAny: true);

    /// <summary>Whether a resource at <paramref name="current"/> meets the condition (the strong comparison).</summary>
    public bool Matches(long current) => IsAny || StrongVersions.Contains(current);
}

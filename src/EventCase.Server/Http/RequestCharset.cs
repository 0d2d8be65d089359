using Microsoft.Net.Http.Headers;

namespace EventCase.Server.Http;

/// <summary>
/// The one text encoding the API reads: UTF-8. JSON exchanged between systems is UTF-8 (RFC 8259 §8.1), and a form is
/// read as UTF-8 too; US-ASCII is taken as the subset of UTF-8 it is. A body labelled with another charset is refused
/// rather than read: read as UTF-8 it would be mangled (Latin-1 "Ã©" taken as "é"), and the framework's own decoders
/// for other charsets left percent-escapes such as <c>%E9</c> in the text. Either way wrong text would be written into
/// an event, where it stays.
/// </summary>
public static class RequestCharset
{
    /// <summary>The charset <paramref name="contentType"/> names that the API does not read (anything but UTF-8 and
    /// US-ASCII), cut to 40 characters for an answer; null when it names none or one read.</summary>
    public static string? Unread(string? contentType)
    {
        // StringSegment.Trim throws on the null segment of a media type without a charset: checked first.
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.Charset.HasValue
            || HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString().Trim() is not { Length: > 0 } name)
        {
            return null;
        }

        return name.ToUpperInvariant() is "UTF-8" or "UTF8" or "US-ASCII" ? null : name.Length <= 40 ? name : name[..40] + "…";
    }

    /// <summary>What a refusal of <paramref name="charset"/> says.</summary>
    public static string Refusal(string charset) =>
        $"The body is read as UTF-8 only; charset={charset} is not taken. Send it encoded as UTF-8 (charset=utf-8, or no charset).";
}

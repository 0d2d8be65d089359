using System.Buffers;
using System.Globalization;

namespace EventCase.Import.Synthesis;

/// <summary>
/// Characters a source's text may hold that events must not: NUL, which PostgreSQL cannot store in text or jsonb (the
/// append fails with 22P05 and with it the whole import, on every run); the other C0 control characters but tab, line
/// feed and carriage return, and the noncharacters U+FFFE and U+FFFF, none of which XML 1.0 can carry (an export of the
/// events would break); and the other Unicode noncharacters (U+FDD0–U+FDEF, the last two code points of every plane),
/// which are not for interchange. Text decoded strictly from UTF-8 holds no lone surrogate, but one is refused too.
/// </summary>
internal static class UnstorableCharacters
{
    private static readonly SearchValues<char> Suspects = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c))
        + string.Concat(Enumerable.Range(0xFDD0, 0xFDEF - 0xFDD0 + 1).Select(c => (char)c))
        + string.Concat(Enumerable.Range(0xD800, 0xE000 - 0xD800).Select(c => (char)c))
        + "\uFFFE\uFFFF");

    /// <summary>The index of the first character of <paramref name="text"/> that events must not hold, or -1.</summary>
    public static int IndexIn(string text)
    {
        var span = text.AsSpan();
        var offset = 0;
        while (span.IndexOfAny(Suspects) is >= 0 and var found)
        {
            var at = offset + found;
            if (!char.IsHighSurrogate(text[at]) || at + 1 >= text.Length || !char.IsLowSurrogate(text[at + 1]))
            {
                return at;
            }

            // A surrogate pair: refused only when it encodes a noncharacter (U+1FFFE, U+1FFFF, … U+10FFFF).
            if ((char.ConvertToUtf32(text[at], text[at + 1]) & 0xFFFE) == 0xFFFE)
            {
                return at;
            }

            offset = at + 2;
            span = text.AsSpan(offset);
        }

        return -1;
    }

    /// <summary>Names the character at <paramref name="index"/>: "U+0000 (NUL)", "the control character U+001B", ….</summary>
    public static string Describe(string text, int index)
    {
        var c = text[index];
        if (char.IsSurrogate(c))
        {
            return char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
                ? $"the noncharacter U+{char.ConvertToUtf32(c, text[index + 1]).ToString("X4", CultureInfo.InvariantCulture)}"
                : $"the lone surrogate U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}";
        }

        var code = ((int)c).ToString("X4", CultureInfo.InvariantCulture);
        return c switch
        {
            '\0' => "U+0000 (NUL)",
            < ' ' => $"the control character U+{code}",
            _ => $"the noncharacter U+{code}",
        };
    }
}

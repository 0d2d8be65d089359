using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace EventCase.Cases.ReadModels;

/// <summary>How enums are written into read-model columns (the same camelCase names as in the JSON), and cursors.</summary>
internal static class ReadModelText
{
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary>An opaque cursor: the parts, '\n'-separated, base64url-encoded.</summary>
    public static string EncodeCursor(params string[] parts) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join('\n', parts)));

    /// <exception cref="ArgumentException">The cursor was not made by <see cref="EncodeCursor"/> with <paramref name="count"/> parts.</exception>
    public static string[] DecodeCursor(string cursor, int count)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split('\n');
            // No part of a cursor made here holds a control character (row keys are case ids); a forged one with a NUL
            // would reach PostgreSQL, which refuses NUL in text.
            if (parts.Length == count && !parts.Any(part => part.Any(char.IsControl)))
            {
                return parts;
            }
        }
        catch (FormatException)
        {
        }

        throw new ArgumentException("The cursor is not one this query returned.", nameof(cursor));
    }
}

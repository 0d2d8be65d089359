using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace EventCase.Cli.Hosting;

/// <summary>
/// Options that take a whole number (<c>--version</c>, <c>--sample</c>, <c>--timeout</c>, …). System.CommandLine's own
/// conversion error names the .NET type it wanted ("as expected type 'System.Nullable`1[System.Int64]'"), which tells
/// an operator nothing; this parser says what the value should have been, naming the option.
/// </summary>
internal static class WholeNumberParsing
{
    /// <summary>The option's value is parsed as a whole number, in the invariant culture, with one clear error otherwise.</summary>
    public static void AcceptWholeNumbersOnly<T>(this Option<T> option)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (type != typeof(int) && type != typeof(long))
        {
            throw new ArgumentException($"{option.Name} is an option of {typeof(T).Name}, not of a whole number.", nameof(option));
        }

        option.CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
            if (type == typeof(int) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small))
            {
                return (T)(object)small;
            }

            if (type == typeof(long) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var large))
            {
                return (T)(object)large;
            }

            // Digits that do not fit are a number, only too large (or too small) for the option.
            result.AddError(BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? $"{option.Name} '{text}' is too {(value.Sign < 0 ? "small" : "large")}."
                : $"{option.Name} '{text}' is not a whole number.");
            return default;
        };
    }
}

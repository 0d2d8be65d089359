using NodaTime;
using NodaTime.Text;

namespace EventCase.Cli.Hosting;

/// <summary>
/// The instants the commands take (<c>replay --at</c>, <c>audit export --from/--to</c>): ISO-8601 in UTC
/// (<c>2026-03-03T14:00:00Z</c>) or with an offset (<c>2026-03-03T09:00:00-05:00</c>), as the HTTP API takes them.
/// </summary>
internal static class InstantText
{
    /// <summary>What an error says the value should look like.</summary>
    public const string Expected = "an ISO-8601 instant such as 2026-03-03T14:00:00Z or 2026-03-03T09:00:00-05:00";

    public static bool TryParse(string text, out Instant instant)
    {
        if (InstantPattern.ExtendedIso.Parse(text) is { Success: true } utc)
        {
            instant = utc.Value;
            return true;
        }

        if (OffsetDateTimePattern.ExtendedIso.Parse(text) is { Success: true } offset)
        {
            instant = offset.Value.ToInstant();
            return true;
        }

        instant = default;
        return false;
    }

    public static Instant Parse(string text) =>
        TryParse(text, out var instant) ? instant : throw new FormatException($"'{text}' is not {Expected}.");
}

using System.Globalization;
using EventCase.Cases;

namespace EventCase.Import.Synthesis;

/// <summary>Reads coordinates as sources write them: decimal degrees, WKT <c>POINT (lon lat)</c> and <c>(lat, lon)</c>.</summary>
internal static class SourceCoordinates
{
    private const NumberStyles Style = NumberStyles.Float;

    /// <summary>A point from separate latitude and longitude texts; null when either does not parse.</summary>
    public static GeoPoint? FromPair(string latitude, string longitude) =>
        double.TryParse(latitude, Style, CultureInfo.InvariantCulture, out var lat)
        && double.TryParse(longitude, Style, CultureInfo.InvariantCulture, out var lon)
            ? new GeoPoint(lat, lon)
            : null;

    /// <summary>A point from WKT <c>POINT (lon lat)</c> (x is the longitude) or <c>(lat, lon)</c>; null otherwise.</summary>
    public static GeoPoint? FromText(string text)
    {
        var span = text.AsSpan().Trim();
        if (span.StartsWith("POINT", StringComparison.OrdinalIgnoreCase))
        {
            span = span[5..].Trim();
            if (span.Length < 2 || span[0] != '(' || span[^1] != ')')
            {
                return null;
            }

            var inner = span[1..^1].Trim();
            var space = inner.IndexOf(' ');
            return space > 0 ? FromPair(inner[(space + 1)..].Trim().ToString(), inner[..space].ToString()) : null;
        }

        if (span.Length >= 2 && span[0] == '(' && span[^1] == ')')
        {
            var inner = span[1..^1];
            var comma = inner.IndexOf(',');
            return comma > 0 ? FromPair(inner[..comma].Trim().ToString(), inner[(comma + 1)..].Trim().ToString()) : null;
        }

        return null;
    }
}

using EventCase.Cases;
using EventCase.Import.Synthesis;
using NodaTime;

namespace EventCase.Import.Tests.Synthesis;

public sealed class SourceValuesTests
{
    private static readonly SourceTimestamps Boston = new("America/New_York", ["MM/dd/yyyy hh:mm:ss tt", "yyyy-MM-dd HH:mm:ss"]);

    [Theory]
    [InlineData("POINT (-118.294017712 34.0676390557)", 34.0676390557, -118.294017712)]
    [InlineData("point(-118.29 34.06)", 34.06, -118.29)]
    [InlineData("(42.3504, -71.0867)", 42.3504, -71.0867)]
    [InlineData(" (42.3504,-71.0867) ", 42.3504, -71.0867)]
    public void Points_are_read_in_wkt_lon_lat_and_parenthesised_lat_lon_forms(string text, double latitude, double longitude) =>
        Assert.Equal(new GeoPoint(latitude, longitude), SourceCoordinates.FromText(text));

    [Theory]
    [InlineData("POINT (-118.29)")]
    [InlineData("(42.35 -71.08)")]
    [InlineData("42.35, -71.08")]
    [InlineData("(north, west)")]
    public void Text_that_is_not_a_point_gives_none(string text) => Assert.Null(SourceCoordinates.FromText(text));

    [Fact]
    public void Timestamps_are_parsed_in_any_listed_format_with_the_invariant_culture_and_the_citys_zone()
    {
        Assert.Equal(Instant.FromUtc(2015, 1, 5, 17, 40, 41), Boston.Parse("01/05/2015 12:40:41 PM")!.Value.Instant);
        Assert.Equal(Instant.FromUtc(2015, 7, 5, 16, 40, 41), Boston.Parse("2015-07-05 12:40:41")!.Value.Instant);
        Assert.Null(Boston.Parse("05.01.2015 12:40"));
    }

    [Fact]
    public void A_time_in_the_spring_gap_moves_forward_by_the_gap_and_is_reported_as_skipped()
    {
        // 8 March 2015: clocks in Boston went from 02:00 EST straight to 03:00 EDT.
        var parsed = Boston.Parse("03/08/2015 02:30:00 AM")!.Value;
        Assert.Equal(LocalResolution.Skipped, parsed.Resolution);
        Assert.Equal(Instant.FromUtc(2015, 3, 8, 7, 30), parsed.Instant); // 03:30 EDT
    }

    [Fact]
    public void A_time_in_the_autumn_overlap_takes_the_earlier_instant_and_is_reported_as_ambiguous()
    {
        // 1 November 2015: 01:00–02:00 happened twice in Boston, first in EDT (UTC-4), then in EST (UTC-5).
        var parsed = Boston.Parse("11/01/2015 01:30:00 AM")!.Value;
        Assert.Equal(LocalResolution.Ambiguous, parsed.Resolution);
        Assert.Equal(Instant.FromUtc(2015, 11, 1, 5, 30), parsed.Instant);
        Assert.Equal(LocalResolution.Unique, Boston.Parse("11/01/2015 02:30:00 AM")!.Value.Resolution);
    }

    [Fact]
    public void A_timestamp_with_an_offset_is_the_instant_it_names_whatever_the_citys_zone()
    {
        var withOffsets = new SourceTimestamps("America/New_York", ["MM/dd/yyyy hh:mm:ss tt", "uuuu-MM-dd'T'HH:mm:sso<G>"]);

        var eastern = withOffsets.Parse("2015-01-05T12:40:41-05:00")!.Value;
        Assert.Equal(Instant.FromUtc(2015, 1, 5, 17, 40, 41), eastern.Instant);
        Assert.Equal(new LocalDateTime(2015, 1, 5, 12, 40, 41), eastern.Local);

        // Written in UTC, the local date is Boston's: 03:10 UTC on 1 January is the evening of 31 December there.
        var utc = withOffsets.Parse("2015-01-01T03:10:00Z")!.Value;
        Assert.Equal(Instant.FromUtc(2015, 1, 1, 3, 10), utc.Instant);
        Assert.Equal(new LocalDateTime(2014, 12, 31, 22, 10), utc.Local);

        // The offset settles which of the autumn overlap's two 01:30s is meant: nothing to resolve, nothing to flag.
        var later = withOffsets.Parse("2015-11-01T01:30:00-05:00")!.Value;
        Assert.Equal(Instant.FromUtc(2015, 11, 1, 6, 30), later.Instant);
        Assert.Equal(LocalResolution.Unique, later.Resolution);

        // Offset-less formats in the same list keep their meaning.
        Assert.Equal(Instant.FromUtc(2015, 1, 5, 17, 40, 41), withOffsets.Parse("01/05/2015 12:40:41 PM")!.Value.Instant);
        Assert.Null(withOffsets.Parse("2015-01-05T12:40:41"));
    }

    [Fact]
    public void A_timestamp_with_an_offset_past_the_last_instant_is_out_of_range_rather_than_an_exception()
    {
        var withOffsets = new SourceTimestamps("America/New_York", ["uuuu-MM-dd'T'HH:mm:sso<G>"]);

        Assert.Null(withOffsets.Parse("9999-12-31T23:00:00-05:00", out var outOfRange));
        Assert.True(outOfRange);
    }

    [Theory]
    [InlineData("PWDx_Street Light Outages", "pwdx_street-light-outages")]
    [InlineData("INFO01_GenericeFormforOtherServiceRequestTypes", "info01_genericeformforotherservicerequesttypes")]
    [InlineData("Metal/Household Appliances", "metal-household-appliances")]
    [InlineData("  (Other)  ", "other")]
    [InlineData("!!!", "")]
    public void Queues_and_types_become_codes_by_a_stated_slug_rule(string text, string slug) =>
        Assert.Equal(slug, CaseSynthesizer.Slug(text, lower: true));
}

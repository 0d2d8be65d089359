using EventCase.Cases.Numbering;
using NodaTime;

namespace EventCase.Cases.Tests.Numbering;

public sealed class CaseNumberSeriesTests
{
    private static readonly AgencyId Boston = new("boston");
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Fact]
    public void The_year_of_a_series_is_the_agencys_local_year_not_the_utc_one()
    {
        var newYearsEveEvening = Instant.FromUtc(2027, 1, 1, 3, 30); // 22:30 on 31 December 2026 in Boston

        var series = CaseNumberSeries.At(Boston, "BOS", newYearsEveEvening, NewYork);

        Assert.Equal(2026, series.Year);
        Assert.Equal("BOS-2026-000123", series.Number(123).Value);
    }

    [Theory]
    [InlineData("bos", 2026)]
    [InlineData("B", 2026)]
    [InlineData("1BOS", 2026)]
    [InlineData("BOS", 1899)]
    public void A_series_with_a_prefix_or_year_a_case_number_cannot_hold_is_refused(string prefix, int year)
    {
        Assert.ThrowsAny<ArgumentException>(() => new CaseNumberSeries(Boston, prefix, year));
    }
}

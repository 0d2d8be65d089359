using System.Text.Json;
using EventCase.Cases.Tests.Support;

namespace EventCase.Cases.Tests.Lifecycle;

public sealed class CaseNumberTests
{
    [Fact]
    public void A_case_number_is_written_as_prefix_year_and_a_six_digit_sequence()
    {
        Assert.Equal("BOS-2026-000123", new CaseNumber("BOS", 2026, 123).Value);
        Assert.Equal("NYC311-2026-1234567", new CaseNumber("NYC311", 2026, 1_234_567).Value);
    }

    [Theory]
    [InlineData("BOS-2026-000123", "BOS", 2026, 123)]
    [InlineData("NYC311-2026-1234567", "NYC311", 2026, 1_234_567)]
    public void A_case_number_parses_back_to_its_parts(string text, string prefix, int year, int sequence)
    {
        var number = CaseNumber.Parse(text);

        Assert.Equal((prefix, year, sequence), (number.Prefix, number.Year, number.Sequence));
        Assert.Equal(text, number.ToString());
    }

    [Theory]
    [InlineData("bos-2026-000123")]
    [InlineData("BOS-26-000123")]
    [InlineData("BOS-2026-123")]
    [InlineData("BOS-2026-000000")]
    [InlineData("BOS-2026-0001234")]
    [InlineData("BOS 2026 000123")]
    [InlineData("1BOS-2026-000123")]
    [InlineData("")]
    public void Malformed_case_numbers_are_refused(string text)
    {
        Assert.False(CaseNumber.TryParse(text, out _));
        Assert.Throws<ArgumentException>(() => CaseNumber.Parse(text));
    }

    [Fact]
    public void Case_numbers_compare_by_value_and_round_trip_through_json()
    {
        var number = CaseNumber.Parse("BOS-2026-000123");
        var json = JsonSerializer.Serialize(number, CaseJson.Options);

        Assert.Equal("\"BOS-2026-000123\"", json);
        Assert.Equal(number, JsonSerializer.Deserialize<CaseNumber>(json, CaseJson.Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CaseNumber>("\"nonsense\"", CaseJson.Options));
    }

    [Fact]
    public void Identifiers_refuse_values_that_cannot_be_keys()
    {
        Assert.Throws<ArgumentException>(() => new AgencyId("boston pwd"));
        Assert.Throws<ArgumentException>(() => new CaseId(""));
        Assert.Throws<ArgumentException>(() => new CaseId("a\nb"));
        Assert.Equal(new ServiceCode("pothole"), ServiceCode.From("pothole"));
    }
}

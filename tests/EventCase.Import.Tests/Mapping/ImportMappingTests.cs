using EventCase.Cases;
using EventCase.Import.Mapping;
using EventCase.Import.Tests.Support;

namespace EventCase.Import.Tests.Mapping;

public sealed class ImportMappingTests
{
    [Theory]
    [InlineData(SourceFiles.Boston, "America/New_York", 2)]
    [InlineData(SourceFiles.La2017, "America/Los_Angeles", 5)]
    [InlineData(SourceFiles.La2018, "America/Los_Angeles", 5)]
    public void Every_shipped_mapping_loads_and_validates(string file, string zone, int statuses)
    {
        var mapping = SourceFiles.MappingFor(file);
        Assert.Equal(zone, mapping.TimeZone);
        Assert.Equal(statuses, mapping.Statuses.Count);
    }

    [Fact]
    public void Enum_values_are_kebab_case_in_the_json()
    {
        var mapping = SourceFiles.MappingFor(SourceFiles.La2017);
        Assert.Equal(SourceLifecycle.Transferred, mapping.Statuses["Referred Out"]);
        Assert.Equal(Channel.InPerson, mapping.Channels["Walk-in"]);
        Assert.Equal(NumberSequenceSource.SourceIdDigits, mapping.Cases.NumberSequence);
    }

    [Fact]
    public void A_rule_not_named_in_the_mapping_takes_its_default_and_structural_rules_always_reject()
    {
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston) with { Quality = new Dictionary<string, QualityPolicy>() };
        Assert.Equal(QualityPolicy.Reject, mapping.PolicyFor(QualityRules.CloseBeforeOpen));
        Assert.Equal(QualityPolicy.Flag, mapping.PolicyFor(QualityRules.PlaceholderCoordinates));
        Assert.Equal(QualityPolicy.Reject, mapping.PolicyFor(QualityRules.DuplicateSourceId));
    }

    [Theory]
    [InlineData("\"timeZone\": \"America/New_York\"", "\"timeZone\": \"Boston/Harbor\"", "timeZone 'Boston/Harbor' is not an IANA zone id")]
    [InlineData("\"CASE_ENQUIRY_ID\"", "\"\"", "columns.sourceId is required")]
    [InlineData("\"numberPrefix\": \"BOS311\"", "\"numberPrefix\": \"bos\"", "cases.numberPrefix 'bos' must be 2–8 upper-case")]
    [InlineData("\"close-before-open\": \"reject\"", "\"close-before-open\": \"ignore\"", "not valid JSON for an import mapping")]
    [InlineData("\"close-before-open\": \"reject\"", "\"closed-before-open\": \"reject\"", "quality rule 'closed-before-open' is unknown")]
    [InlineData("\"unknown-status\": \"reject\"", "\"duplicate-source-id\": \"flag\"", "quality rule 'duplicate-source-id' always rejects")]
    [InlineData("\"defaultSla\": \"P365D\"", "\"defaultSla\": \"PT5H\"", "defaultSla 'PT5H' must be a whole number of days")]
    [InlineData("\"Closed\": \"closed\"", "\"Closed\": \"duplicate\"", "columns.duplicateOf (the original's source id) is required")]
    [InlineData("\"source\": \"boston-311\",", "\"source\": \"boston-311\", \"colour\": \"blue\",", "not valid JSON for an import mapping")]
    public void An_inconsistent_mapping_is_refused_with_a_message_that_says_what_is_wrong(string find, string replace, string message)
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "mappings", "boston_311_2015.json"));
        Assert.Contains(find, json, StringComparison.Ordinal);
        var error = Assert.Throws<InvalidImportMappingException>(() => ImportMapping.Parse(json.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

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
    [InlineData("[ \"MM/dd/yyyy hh:mm:ss tt\" ]", "[ \"MM/dd/yyyy hh:mm:ss tt\", \"QQ\" ]", "timestampFormats[1] 'QQ' is not a valid NodaTime pattern")]
    [InlineData("[ \"MM/dd/yyyy hh:mm:ss tt\" ]", "[ null ]", "timestampFormats[0] is empty")]
    [InlineData("[ \"MM/dd/yyyy hh:mm:ss tt\" ]", "[ \"uuuu-MM-dd'T'HH:mm:sso<Q>\" ]", "timestampFormats[0] 'uuuu-MM-dd'T'HH:mm:sso<Q>' is not a valid NodaTime pattern")]
    [InlineData("[ { \"latitude\": 42.3594, \"longitude\": -71.0587 } ]", "[ null ]", "placeholderPoints[0] is null")]
    [InlineData("[ { \"latitude\": 42.3594, \"longitude\": -71.0587 } ]", "[ { \"latitude\": 142.3594, \"longitude\": -71.0587 } ]", "placeholderPoints[0] (142.3594, -71.0587 ± 5E-05) must have a latitude of −90–90")]
    [InlineData("[ \"CASE_TITLE\" ]", "[ \"CASE_TITLE\", null ]", "columns.description[1] is empty or null")]
    [InlineData("\"REASON\", \"Department\"", "\"REASON\", null", "attributes[1] is empty or null")]
    [InlineData("\"REASON\", \"Department\"", "\"REASON\", \"OnTime_Status\", \"Department\"", "volatileAttributes[0] 'OnTime_Status' is also in attributes")]
    [InlineData("[ \"OnTime_Status\", \"ClosedPhoto\" ]", "[ \"OnTime_Status\", \" \" ]", "volatileAttributes[1] is empty or null")]
    [InlineData("\"queue\": \"QUEUE\"", "\"queue\": \" \"", "columns.queue is empty")]
    [InlineData("\"longitude\": \"LONGITUDE\",", "", "columns.latitude and columns.longitude go together")]
    public void An_inconsistent_mapping_is_refused_when_it_is_loaded_with_a_message_that_names_the_field(string find, string replace, string message)
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "mappings", "boston_311_2015.json"));
        Assert.Contains(find, json, StringComparison.Ordinal);
        var error = Assert.Throws<InvalidImportMappingException>(() => ImportMapping.Parse(json.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_formats_may_read_an_offset_beside_wall_clock_formats()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "mappings", "boston_311_2015.json"))
            .Replace("[ \"MM/dd/yyyy hh:mm:ss tt\" ]", "[ \"MM/dd/yyyy hh:mm:ss tt\", \"uuuu-MM-dd'T'HH:mm:sso<G>\" ]", StringComparison.Ordinal);

        var mapping = ImportMapping.Parse(json);

        Assert.Equal(["MM/dd/yyyy hh:mm:ss tt", "uuuu-MM-dd'T'HH:mm:sso<G>"], mapping.TimestampFormats);
    }

    [Theory]
    [InlineData("\"channels\": { \"web\": \"web\" },", "\"channels\": null,", "channels must be an object")]
    [InlineData("\"channels\": { \"web\": \"web\" },", "\"channels\": { \"web\": \"web\" }, \"quality\": null,", "quality must be an object")]
    [InlineData("\"channels\": { \"web\": \"web\" },", "\"channels\": { \"web\": \"web\" }, \"attributes\": null,", "attributes must be a list")]
    [InlineData("\"channels\": { \"web\": \"web\" },", "\"channels\": { \"web\": \"web\" }, \"placeholderPoints\": null,", "placeholderPoints must be a list")]
    [InlineData("\"point\": \"where\"", "\"point\": \"where\", \"description\": null", "columns.description must be a list")]
    public void A_list_or_object_given_as_null_is_refused_when_the_mapping_is_loaded(string find, string replace, string message)
    {
        var json = Running.GenericSourceImportTests.MappingJson;
        Assert.Contains(find, json, StringComparison.Ordinal);
        var error = Assert.Throws<InvalidImportMappingException>(() => ImportMapping.Parse(json.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

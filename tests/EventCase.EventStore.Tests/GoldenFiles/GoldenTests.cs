using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventCase.Testing;
using Xunit.Sdk;

namespace EventCase.EventStore.Tests.GoldenFiles;

public sealed partial class GoldenTests
{
    private static readonly Guid CaseId = Guid.Parse("3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b");
    private static readonly Guid AgentId = Guid.Parse("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");

    private static object CaseSummary(string status) => new
    {
        CaseId,
        Number = "BOS-2026-000123",
        Status = status,
        AssignedTo = AgentId,
        OpenedAt = DateTimeOffset.Parse("2026-03-03T14:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        Links = new[] { $"/cases/{CaseId}", $"/cases/{CaseId}/history" },
        Position = 12345,
    };

    private static GoldenSettings Settings() => new() { ScrubbedMembers = { "position" } };

    private static string HereDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    [Fact]
    public async Task A_value_equal_to_its_verified_file_passes()
    {
        await Golden.VerifyAsync(CaseSummary("Assigned"), "case-summary", Settings());
    }

    [Fact]
    public async Task A_JSON_string_is_compared_as_JSON_regardless_of_its_formatting()
    {
        const string body = """{"caseId":"3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b","number":"BOS-2026-000123","status":"Assigned","assignedTo":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","openedAt":"2026-03-03T14:00:00+00:00","links":["/cases/3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b","/cases/3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b/history"],"position":999}""";

        await Golden.VerifyAsync(body, "case-summary", Settings());
    }

    [Fact]
    public async Task A_different_value_fails_with_a_diff_and_leaves_a_received_file()
    {
        if (Environment.GetEnvironmentVariable(Golden.AcceptVariable) == "1")
        {
            Assert.Skip("EVENTCASE_ACCEPT_GOLDEN=1 accepts every difference.");
        }

        var received = Path.Combine(HereDirectory(), "GoldenTests.case-summary-resolved.received.json");
        try
        {
            var error = await Assert.ThrowsAsync<XunitException>(() => Golden.VerifyAsync(CaseSummary("Resolved"), "case-summary-resolved", Settings()));

            Assert.Contains("-   \"status\": \"Assigned\",", error.Message, StringComparison.Ordinal);
            Assert.Contains("+   \"status\": \"Resolved\",", error.Message, StringComparison.Ordinal);
            Assert.Contains("case-summary-resolved.verified.json", error.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(received));
        }
        finally
        {
            File.Delete(received);
        }
    }

    [Fact]
    public async Task A_missing_verified_file_is_written_and_the_test_fails_asking_for_review()
    {
        if (Environment.GetEnvironmentVariable(Golden.AcceptVariable) == "1")
        {
            Assert.Skip("EVENTCASE_ACCEPT_GOLDEN=1 accepts a missing verified file.");
        }

        var name = "new-" + Guid.NewGuid().ToString("N");
        var verified = Path.Combine(HereDirectory(), $"GoldenTests.{name}.verified.json");
        try
        {
            var error = await Assert.ThrowsAsync<XunitException>(() => Golden.VerifyAsync(new { Answer = 42 }, name));

            Assert.Contains("Review it and commit it", error.Message, StringComparison.Ordinal);
            Assert.Equal("{\n  \"answer\": 42\n}\n", await File.ReadAllTextAsync(verified, TestContext.Current.CancellationToken));
            await Golden.VerifyAsync(new { Answer = 42 }, name);
        }
        finally
        {
            File.Delete(verified);
        }
    }

    [Fact]
    public void The_same_id_gets_the_same_placeholder_and_different_ids_different_ones()
    {
        var json = JsonNode.Parse("""
            {
              "a": "3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b",
              "b": ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "see 3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"],
              "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d": "2026-03-03T14:00:00.123456Z",
              "at": "2026-03-03T15:00:00+01:00",
              "day": "2026-03-03"
            }
            """);

        var rendered = Golden.Render(json, new GoldenSettings());

        Assert.Equal(
            """
            {
              "a": "Guid_1",
              "b": [
                "Guid_2",
                "see Guid_1"
              ],
              "Guid_2": "Instant_1",
              "at": "Instant_2",
              "day": "2026-03-03"
            }

            """,
            rendered);
    }

    [Fact]
    public void Custom_scrubbers_and_scrubbed_members_extend_the_defaults()
    {
        var settings = new GoldenSettings
        {
            Scrubbers = { new GoldenScrubber("CaseNumber", CaseNumber()) },
            ScrubbedMembers = { "position" },
        };

        var rendered = Golden.Render(JsonNode.Parse("""{"number":"BOS-2026-000123","position":7}"""), settings);

        Assert.Equal("{\n  \"number\": \"CaseNumber_1\",\n  \"position\": \"Scrubbed\"\n}\n", rendered);
    }

    [GeneratedRegex("[A-Z]{3}-\\d{4}-\\d{6}")]
    private static partial Regex CaseNumber();
}

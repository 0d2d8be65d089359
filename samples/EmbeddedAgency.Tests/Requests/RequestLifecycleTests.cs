using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EmbeddedAgency.Tests.Support;
using static EmbeddedAgency.Tests.Support.AgencyHostFixture;

namespace EmbeddedAgency.Tests.Requests;

/// <summary>A request handled end to end through the sample's own routes, read back from the summary and queue read models.</summary>
public sealed class RequestLifecycleTests(AgencyHostFixture host) : IClassFixture<AgencyHostFixture>
{
    // Inside the Downtown polygon of Springfield.cs.
    private static readonly object DowntownPothole = new
    {
        service = "pothole", description = "Deep hole by the fountain", latitude = 39.80, longitude = -89.65, citizenName = "Ned", citizenEmail = "ned@example.org",
    };

    [Fact]
    public async Task A_downtown_pothole_is_opened_for_the_downtown_crew_then_assigned_started_and_resolved_and_the_read_models_follow()
    {
        using var client = host.Client(agent: "marge");

        var opened = await PostAsync(client, "/requests", DowntownPothole);
        var id = opened["id"]!.GetValue<string>();
        Assert.StartsWith("SPR-", opened["number"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("downtown-crew", opened["team"]!.GetValue<string>());

        var queued = await QueueItemAsync(client, "downtown-crew", id);
        Assert.NotNull(queued);
        Assert.Equal("assigned", queued["status"]!.GetValue<string>());

        var assigned = await PostAsync(client, $"/requests/{id}/assign", new { team = "downtown-crew", agent = "homer" });
        Assert.Equal("assigned", assigned["status"]!.GetValue<string>());
        var started = await PostAsync(client, $"/requests/{id}/start", null);
        Assert.Equal("inProgress", started["status"]!.GetValue<string>());

        var working = await QueueItemAsync(client, "downtown-crew", id);
        Assert.Equal("homer", working!["assignee"]!.GetValue<string>());
        Assert.Equal("inProgress", working["status"]!.GetValue<string>());

        var resolved = await PostAsync(client, $"/requests/{id}/resolve", new { resolution = "repaired", summary = "Filled and sealed." });
        Assert.Equal("resolved", resolved["status"]!.GetValue<string>());

        using var get = await client.GetAsync($"/requests/{id}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var view = await ReadJsonAsync(get);
        Assert.Equal("resolved", view["status"]!.GetValue<string>());
        Assert.Equal("homer", view["assignee"]!.GetValue<string>());
        Assert.Equal("pothole", view["service"]!.GetValue<string>());
        Assert.NotNull(view["resolvedAt"]);
        Assert.Equal(resolved["version"]!.GetValue<long>(), view["version"]!.GetValue<long>());
        Assert.Null(await QueueItemAsync(client, "downtown-crew", id));
    }

    [Fact]
    public async Task A_pothole_outside_downtown_goes_to_the_default_team_and_graffiti_to_the_clean_team()
    {
        using var client = host.Client();

        var elsewhere = await PostAsync(client, "/requests", new { service = "pothole", description = "Hole on the bypass", latitude = 39.70, longitude = -89.70 });
        var graffiti = await PostAsync(client, "/requests", new { service = "graffiti", description = "Tag on the library", address = "1 Library Way" });

        Assert.Equal("public-works", elsewhere["team"]!.GetValue<string>());
        Assert.Equal("clean-team", graffiti["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_idempotency_key_opens_one_request_however_often_it_is_sent()
    {
        using var client = host.Client();
        JsonNode? first = null;
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/requests") { Content = Json("""{"service":"streetlight","description":"Dark corner","address":"9 Elm St"}""") };
            request.Headers.Add("Idempotency-Key", "call-4711");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var body = await ReadJsonAsync(response);
            first ??= body;
            Assert.Equal(first["id"]!.GetValue<string>(), body["id"]!.GetValue<string>());
            Assert.Equal(first["number"]!.GetValue<string>(), body["number"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Resolving_a_request_twice_is_refused_by_the_case_rules_with_a_conflict_naming_the_status()
    {
        using var client = host.Client();
        var opened = await PostAsync(client, "/requests", new { service = "streetlight", description = "Flickering", address = "12 Oak St" });
        var id = opened["id"]!.GetValue<string>();
        await PostAsync(client, $"/requests/{id}/resolve", new { resolution = "repaired", summary = "New bulb." });

        using var again = await client.PostAsJsonAsync($"/requests/{id}/resolve", new { resolution = "repaired", summary = "New bulb." });

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Resolved", (await ReadJsonAsync(again))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<JsonNode?> QueueItemAsync(HttpClient client, string team, string id)
    {
        using var response = await client.GetAsync($"/queues/{team}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await ReadJsonAsync(response);
        return page["items"]!.AsArray().FirstOrDefault(i => i!["id"]!.GetValue<string>() == id);
    }
}

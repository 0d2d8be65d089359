using System.Text.Json.Nodes;
using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

public sealed class ConcurrencyAndIdempotencyTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static HttpRequestMessage Post(string path, string json, string? ifMatch = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return request;
    }

    [Fact]
    public async Task Opening_twice_with_the_same_key_opens_one_case_and_answers_the_same()
    {
        using var client = server.Client(Roles.Agent);
        var before = await server.EventCountAsync();
        const string body = """{"service":"graffiti","description":"Tag on wall","location":{"address":"5 Pine St"}}""";
        using var first = await client.SendAsync(Post("/cases", body, key: "open-key-1"));
        using var second = await client.SendAsync(Post("/cases", body, key: "open-key-1"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(before + 2, await server.EventCountAsync()); // opened + routed, once
    }

    [Fact]
    public async Task Concurrent_opens_with_the_same_key_still_open_one_case()
    {
        using var client = server.Client(Roles.Agent);
        const string body = """{"service":"graffiti","description":"Tag","location":{"address":"6 Pine St"}}""";
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.SendAsync(Post("/cases", body, key: "open-race"))));
        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, text);
            ids.Add((await ReadJsonAsync(response))["caseId"]!.GetValue<string>());
            response.Dispose();
        }

        Assert.Single(ids);
    }

    [Fact]
    public async Task A_command_retried_with_its_key_returns_the_first_answer_even_after_the_case_moved_on()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        using var first = await client.SendAsync(Post($"/cases/{id}/escalate", """{"toLevel":1,"reason":"Busy"}""", key: "esc-1"));
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Cases.CaseRoutesTests.PostOkAsync(client, $"/cases/{id}/priority", """{"to":"high"}""");
        var before = await server.EventCountAsync();

        using var retry = await client.SendAsync(Post($"/cases/{id}/escalate", """{"toLevel":1,"reason":"Busy"}""", key: "esc-1"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task Two_writers_with_the_same_if_match_one_wins_the_other_gets_412_with_the_current_version()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        using var get = await client.GetAsync($"/cases/{id}");
        var etag = get.Headers.ETag!.Tag;

        using var alice = await client.SendAsync(Post($"/cases/{id}/priority", """{"to":"high"}""", ifMatch: etag));
        using var bob = await client.SendAsync(Post($"/cases/{id}/priority", """{"to":"low"}""", ifMatch: etag));
        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, bob.StatusCode);
        var problem = await ReadJsonAsync(bob);
        Assert.Equal("https://eventcase.dev/problems/concurrency.precondition-failed", problem["type"]!.GetValue<string>());
        Assert.Equal(alice.Headers.ETag!.Tag, $"\"{problem["currentVersion"]}\"");
        Assert.Equal(alice.Headers.ETag, bob.Headers.ETag);
    }

    [Fact]
    public async Task Racing_writers_without_if_match_lose_no_update_and_an_incompatible_one_is_refused_with_a_reason()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.SendAsync(Post($"/cases/{id}/escalate", """{"toLevel":1,"reason":"Race"}"""))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        // Compatible writers are re-decided on the new state; one that loses more races than the handler retries gets
        // 409 concurrency.conflict with the current version. Either way no accepted note is lost.
        var notes = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.SendAsync(Post($"/cases/{id}/notes", $$"""{"text":"note {{i}}"}"""))));
        foreach (var refused in notes.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var problem = await ReadJsonAsync(refused);
            Assert.Equal("https://eventcase.dev/problems/concurrency.conflict", problem["type"]!.GetValue<string>());
            Assert.NotNull(problem["currentVersion"]);
        }

        var view = await ReadJsonAsync(await client.GetAsync($"/cases/{id}"));
        Assert.Equal(notes.Count(r => r.StatusCode == HttpStatusCode.OK), view["notes"]!.AsArray().Count);
        Assert.True(view["notes"]!.AsArray().Count >= 1);
    }

    [Fact]
    public void A_concurrency_conflict_is_409_with_the_current_version()
    {
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        var store = server.Services.GetService(typeof(EventCase.Server.Hosting.EventCaseDatabase)) as EventCase.Server.Hosting.EventCaseDatabase;
        var result = EventCase.Server.Cases.CaseCommandPipeline.ToResponse(
            http, new EventCase.Cases.Handling.CaseCommandResult.ConcurrencyConflict(7), new EventCase.Cases.CaseId("c-1"), store!.Store);
        var problem = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(result.Result);
        Assert.Equal(409, problem.StatusCode);
        Assert.Equal(7L, problem.ProblemDetails.Extensions["currentVersion"]);
        Assert.Equal("https://eventcase.dev/problems/concurrency.conflict", problem.ProblemDetails.Type);
    }

    [Fact]
    public async Task The_correlation_id_of_the_request_is_echoed_and_written_into_the_events()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        using var request = Post($"/cases/{id}/escalate", """{"toLevel":1,"reason":"x"}""");
        request.Headers.Add("X-Correlation-Id", "call-centre-4711");
        using var response = await client.SendAsync(request);
        Assert.Equal("call-centre-4711", response.Headers.GetValues("X-Correlation-Id").Single());
        var history = await ReadJsonAsync(await client.GetAsync($"/cases/{id}/history"));
        Assert.Equal("call-centre-4711", history["events"]!.AsArray().Last()!["metadata"]!["correlationId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Admin_writes_honour_if_match_and_idempotency_keys()
    {
        using var admin = server.Client(Roles.Admin);
        using var get = await admin.GetAsync("/admin/routing");
        var etag = get.Headers.ETag!.Tag;
        const string rule = """{"ruleId":"lights","priority":5,"services":["streetlight"],"team":"electric"}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/routing/rules") { Content = Json(rule) };
        request.Headers.Add("Idempotency-Key", "rule-1");
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        using var first = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var retry = new HttpRequestMessage(HttpMethod.Post, "/admin/routing/rules") { Content = Json(rule) };
        retry.Headers.Add("Idempotency-Key", "rule-1");
        using var second = await admin.SendAsync(retry);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var stale = new HttpRequestMessage(HttpMethod.Put, "/admin/routing/default") { Content = Json("""{"team":"x"}""") };
        stale.Headers.TryAddWithoutValidation("If-Match", etag);
        using var third = await admin.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, third.StatusCode);

        var id = await server.OpenCaseAsync(service: "streetlight");
        using var agent = server.Client(Roles.Agent);
        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{id}"));
        Assert.Equal("electric", view["assignment"]!["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_admin_key_used_again_for_another_change_or_by_another_admin_is_refused_and_a_true_retry_says_it_was_replayed()
    {
        using var admin = server.Client(Roles.Admin);
        using var otherAdmin = server.Client(Roles.Admin, subject: "bob");
        const string rule = """{"ruleId":"trash-key","priority":7,"services":["missed-trash"],"team":"sanitation"}""";
        using var first = await admin.SendAsync(Post("/admin/routing/rules", rule, key: "admin-key-1"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var before = await server.EventCountAsync();

        // Whitespace and member order are not content.
        using var retry = await admin.SendAsync(Post("/admin/routing/rules", """{ "team":"sanitation", "ruleId":"trash-key", "services":["missed-trash"], "priority":7 }""", key: "admin-key-1"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));

        var reuses = new (HttpClient Client, HttpRequestMessage Request, string Difference)[]
        {
            (admin, Post("/admin/routing/rules", """{"ruleId":"graffiti-key","priority":8,"services":["graffiti"],"team":"parks"}""", key: "admin-key-1"), "other content"),
            (otherAdmin, Post("/admin/routing/rules", rule, key: "admin-key-1"), "another actor"),
            (admin, new HttpRequestMessage(HttpMethod.Put, "/admin/routing/default") { Content = Json("""{"team":"parks"}""") }, "another command"),
        };
        reuses[2].Request.Headers.Add("Idempotency-Key", "admin-key-1");
        foreach (var (client, request, difference) in reuses)
        {
            using var reused = await client.SendAsync(request);
            var text = await reused.Content.ReadAsStringAsync();
            Assert.True(reused.StatusCode == HttpStatusCode.UnprocessableEntity, text);
            var problem = JsonNode.Parse(text)!;
            Assert.Equal("request.idempotency-key-reused", problem["code"]!.GetValue<string>());
            Assert.Contains(difference, problem["errors"]!["Idempotency-Key"]![0]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.False(reused.Headers.Contains("Idempotent-Replayed"));
            request.Dispose();
        }

        Assert.Equal(before, await server.EventCountAsync());
        var routing = await ReadJsonAsync(await admin.GetAsync("/admin/routing"));
        Assert.DoesNotContain("graffiti-key", routing.ToJsonString(), StringComparison.Ordinal);
        Assert.NotEqual("parks", routing["defaultTeam"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_key_another_citizen_used_to_open_a_case_is_refused_and_tells_nothing_of_that_case()
    {
        using var first = server.Client(Roles.Citizen, citizen: "cit-ann");
        using var second = server.Client(Roles.Citizen, subject: "bob", citizen: "cit-bob");
        using var opened = await first.SendAsync(Post("/cases", """{"service":"pothole","description":"Hole outside my house","citizen":{"reference":"cit-ann","name":"Ann Private","email":"ann@example.com","phone":"555-1234"},"location":{"address":"12 Secret Lane"}}""", key: "order-1"));
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var caseId = (await ReadJsonAsync(opened))["caseId"]!.GetValue<string>();
        var before = await server.EventCountAsync();

        using var reused = await second.SendAsync(Post("/cases", """{"service":"graffiti","description":"Tag","location":{"address":"Elsewhere"}}""", key: "order-1"));

        var text = await reused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("request.idempotency-key-reused", problem["code"]!.GetValue<string>());
        Assert.NotNull(problem["errors"]!["Idempotency-Key"]);
        foreach (var secret in new[] { caseId, "Ann Private", "ann@example.com", "555-1234", "Secret Lane", "Hole outside", "cit-ann" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.False(reused.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_citizen_reusing_the_key_of_an_agents_internal_note_on_their_own_case_is_refused_without_the_note()
    {
        var id = await server.OpenCaseAsync(citizen: "citizen-1");
        using var agent = server.Client(Roles.Agent);
        using var citizen = server.Client(Roles.Citizen, subject: "citizen-1", citizen: "citizen-1");
        using var note = await agent.SendAsync(Post($"/cases/{id}/notes", """{"visibility":"internal","text":"Caller is known to the police"}""", key: "secret-key-1"));
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        var before = await server.EventCountAsync();

        using var reused = await citizen.SendAsync(Post($"/cases/{id}/notes", """{"visibility":"public","text":"Any news?"}""", key: "secret-key-1"));

        var text = await reused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.DoesNotContain("police", text, StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task The_same_key_for_another_command_is_refused_and_that_command_is_not_taken_for_done()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        using var note = await client.SendAsync(Post($"/cases/{id}/notes", """{"visibility":"internal","text":"Looked at it"}""", key: "k-42"));
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        var before = await server.EventCountAsync();

        using var resolve = await client.SendAsync(Post($"/cases/{id}/resolve", """{"resolutionCode":"fixed","publicSummary":"Filled"}""", key: "k-42"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, resolve.StatusCode);
        Assert.Contains("another command", (await ReadJsonAsync(resolve))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
        var view = await ReadJsonAsync(await client.GetAsync($"/cases/{id}"));
        Assert.NotEqual("resolved", view["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_key_with_other_content_is_refused_but_a_retry_formatted_differently_is_the_same_request()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        using var first = await client.SendAsync(Post($"/cases/{id}/notes", """{"visibility":"internal","text":"First words"}""", key: "note-key"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var before = await server.EventCountAsync();

        using var other = await client.SendAsync(Post($"/cases/{id}/notes", """{"visibility":"internal","text":"Other words"}""", key: "note-key"));
        using var retry = await client.SendAsync(Post($"/cases/{id}/notes", """
            {
              "text": "First words",
              "visibility": "internal"
            }
            """, key: "note-key"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Contains("other content", (await ReadJsonAsync(other))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_weak_entity_tag_of_the_current_version_never_matches_if_match_and_the_write_is_412_with_nothing_written()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        var etag = (await client.GetAsync($"/cases/{id}")).Headers.ETag!.Tag;
        var before = await server.EventCountAsync();

        // RFC 9110 §13.1.1: If-Match uses the strong comparison, under which W/"2" and "2" differ.
        using var weak = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"weak"}""", ifMatch: "W/" + etag));
        using var weakList = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"weak"}""", ifMatch: $"W/\"0\", W/{etag}"));

        foreach (var response in new[] { weak, weakList })
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
            var problem = await ReadJsonAsync(response);
            Assert.Equal("concurrency.precondition-failed", problem["code"]!.GetValue<string>());
            Assert.Equal(etag, $"\"{problem["currentVersion"]}\"");
            Assert.Equal(etag, response.Headers.ETag!.Tag);
        }

        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task An_admin_write_with_a_weak_entity_tag_of_the_current_version_is_412_with_nothing_written()
    {
        using var admin = server.Client(Roles.Admin);
        var etag = (await admin.GetAsync("/admin/routing")).Headers.ETag!.Tag;
        var before = await server.EventCountAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/routing/default") { Content = Json("""{"team":"weak-team"}""") };
        request.Headers.TryAddWithoutValidation("If-Match", "W/" + etag);

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("concurrency.precondition-failed", (await ReadJsonAsync(response))["code"]!.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task An_if_match_list_holding_the_current_version_matches_in_one_field_line_or_several_and_one_without_it_is_412()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        var version = long.Parse((await client.GetAsync($"/cases/{id}")).Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);

        using var oneLine = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"one line"}""", ifMatch: $"\"{version + 7}\", W/\"{version + 1}\", \"{version}\""));
        Assert.Equal(HttpStatusCode.OK, oneLine.StatusCode);
        using var twoLines = Post($"/cases/{id}/notes", """{"text":"two lines"}""");
        twoLines.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        twoLines.Headers.TryAddWithoutValidation("If-Match", $"\"{version + 1}\"");
        using var secondLine = await client.SendAsync(twoLines);
        Assert.Equal(HttpStatusCode.OK, secondLine.StatusCode);
        var before = await server.EventCountAsync();

        using var stale = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"stale"}""", ifMatch: $"\"{version}\", \"{version + 1}\""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(version + 2, (await ReadJsonAsync(stale))["currentVersion"]!.GetValue<long>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [InlineData("2")]
    [InlineData("\"2")]
    [InlineData("2\"")]
    [InlineData("\"2\" \"3\"")]
    [InlineData("*, \"2\"")]
    [InlineData("\"2,3\"")]
    [InlineData("\"é\"")]
    public async Task A_malformed_if_match_is_400_naming_the_header_and_writes_nothing(string ifMatch)
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        var before = await server.EventCountAsync();

        using var response = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"n"}""", ifMatch: ifMatch));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["If-Match"]);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task If_match_of_300_digits_or_of_more_than_a_hundred_tags_is_400_naming_the_header()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);

        using var digits = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"n"}""", ifMatch: $"\"{new string('9', 300)}\""));
        using var many = await client.SendAsync(Post($"/cases/{id}/notes", """{"text":"n"}""", ifMatch: string.Join(", ", Enumerable.Range(0, 101).Select(i => $"\"{i}\""))));

        Assert.Equal(HttpStatusCode.BadRequest, digits.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        Assert.NotNull((await ReadJsonAsync(many))["errors"]!["If-Match"]);
    }

    [Theory]
    [InlineData("/cases")]
    [InlineData("/cases/{id}/notes")]
    [InlineData("/admin/routing/default")]
    public async Task An_idempotency_key_given_twice_is_400_saying_so_even_when_both_are_the_same(string route)
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(route.StartsWith("/admin", StringComparison.Ordinal) ? Roles.Admin : Roles.Agent);
        var before = await server.EventCountAsync();
        using var request = new HttpRequestMessage(route.StartsWith("/admin", StringComparison.Ordinal) ? HttpMethod.Put : HttpMethod.Post, route.Replace("{id}", id, StringComparison.Ordinal))
        {
            Content = Json(route switch
            {
                "/cases" => """{"service":"graffiti","description":"Tag","location":{"address":"7 Pine St"}}""",
                "/admin/routing/default" => """{"team":"roads"}""",
                _ => """{"text":"twice"}""",
            }),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "same-key");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "same-key");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("more than once", (await ReadJsonAsync(response))["errors"]!["Idempotency-Key"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }
}

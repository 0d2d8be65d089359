using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// A polling client or an HTTP cache revalidating what it read (RFC 9110 §13): If-None-Match on a route that sends an
/// ETag is a 304 with the ETag and no body while the resource is unchanged, and If-Match is a 412 when it names
/// another version, as for writes (docs/api.md, "ETag / If-Match").
/// </summary>
public sealed class ConditionalReadsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers) =>
        await SendAsync(HttpMethod.Get, path, headers);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var client = server.Client(Roles.Agent);
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value), name);
        }

        return await client.SendAsync(request, Ct);
    }

    private async Task AddNoteAsync(string id)
    {
        using var agent = server.Client(Roles.Agent);
        using var response = await agent.PostAsync($"/cases/{id}/notes", Json("""{"text":"Called","visibility":"internal"}"""), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("W/\"2\"")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("*")]
    public async Task A_case_read_again_with_if_none_match_of_its_etag_is_304_with_the_etag_and_no_body(string ifNoneMatch)
    {
        var id = await server.OpenCaseAsync();

        using var response = await GetAsync($"/cases/{id}", ("If-None-Match", ifNoneMatch));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task A_case_that_changed_since_its_etag_was_taken_is_answered_whole()
    {
        var id = await server.OpenCaseAsync();
        await AddNoteAsync(id);

        using var response = await GetAsync($"/cases/{id}", ("If-None-Match", "\"2\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"3\"", response.Headers.ETag?.Tag);
        Assert.Equal(3, (await ReadJsonAsync(response))["version"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("/cases/by-number/{1}")]
    [InlineData("/cases/{0}/history")]
    [InlineData("/cases/{0}/as-of?version=1")]
    [InlineData("/admin/services")]
    [InlineData("/admin/routing")]
    [InlineData("/admin/calendar")]
    public async Task Every_read_that_sends_an_etag_answers_304_to_if_none_match_of_it(string route)
    {
        var id = await server.OpenCaseAsync();
        using var first = await GetAsync($"/cases/{id}");
        var number = (await ReadJsonAsync(first))["number"]!.GetValue<string>();
        var path = route.Replace("{0}", id, StringComparison.Ordinal).Replace("{1}", number, StringComparison.Ordinal);
        using var plain = await GetAsync(path);
        var etag = plain.Headers.ETag?.Tag;
        Assert.NotNull(etag);

        using var again = await GetAsync(path, ("If-None-Match", etag));

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal(etag, again.Headers.ETag?.Tag);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData("/cases/{0}/as-of?version=1")]
    [InlineData("/cases/{0}/as-of?at=2100-01-01T00:00:00Z")]
    [InlineData("/cases/{0}/history")]
    public async Task A_time_travel_or_history_read_again_after_the_case_changed_is_answered_whole(string route)
    {
        // The answer names the case's current version (and the chain over all of it), so it changes with every event.
        var id = await server.OpenCaseAsync();
        var path = route.Replace("{0}", id, StringComparison.Ordinal);
        using var first = await GetAsync(path);
        var etag = first.Headers.ETag?.Tag;
        Assert.Equal("\"2\"", etag);
        await AddNoteAsync(id);

        using var again = await GetAsync(path, ("If-None-Match", etag!));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("\"3\"", again.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task A_head_request_with_if_none_match_of_the_etag_is_304_too()
    {
        var id = await server.OpenCaseAsync();

        using var response = await SendAsync(HttpMethod.Head, $"/cases/{id}", ("If-None-Match", "\"2\""));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
    }

    [Theory]
    [InlineData("\"3\"")]
    [InlineData("\"2-gzip\"")]
    [InlineData("W/\"opaque\"")]
    public async Task An_if_none_match_that_names_no_current_version_is_answered_whole(string ifNoneMatch)
    {
        var id = await server.OpenCaseAsync();

        using var response = await GetAsync($"/cases/{id}", ("If-None-Match", ifNoneMatch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(id, (await ReadJsonAsync(response))["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("If-None-Match", "2")]
    [InlineData("If-None-Match", "\"2")]
    [InlineData("If-None-Match", "*, \"2\"")]
    [InlineData("If-Match", "2")]
    [InlineData("If-Match", "\"two\"")]
    public async Task A_malformed_precondition_on_a_read_is_400_naming_it_without_an_etag(string header, string value)
    {
        var id = await server.OpenCaseAsync();

        using var response = await GetAsync($"/cases/{id}", (header, value));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]![header]);
        Assert.Null(response.Headers.ETag);
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("W/\"2\"")]
    public async Task A_read_with_if_match_of_another_version_is_412_with_the_current_one(string ifMatch)
    {
        var id = await server.OpenCaseAsync();

        using var response = await GetAsync($"/cases/{id}", ("If-Match", ifMatch));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        var problem = await ReadJsonAsync(response);
        Assert.Equal("concurrency.precondition-failed", problem["code"]!.GetValue<string>());
        Assert.Equal(2, problem["currentVersion"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("\"2\"")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("*")]
    public async Task A_read_with_if_match_of_the_current_version_is_answered_whole(string ifMatch)
    {
        var id = await server.OpenCaseAsync();

        using var response = await GetAsync($"/cases/{id}", ("If-Match", ifMatch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await ReadJsonAsync(response))["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Preconditions_on_a_case_that_does_not_exist_leave_its_404()
    {
        using var ifMatch = await GetAsync($"/cases/{Guid.NewGuid()}", ("If-Match", "\"1\""));
        using var ifNoneMatch = await GetAsync($"/cases/{Guid.NewGuid()}", ("If-None-Match", "*"));

        Assert.Equal(HttpStatusCode.NotFound, ifMatch.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, ifNoneMatch.StatusCode);
    }

    [Fact]
    public async Task A_read_without_an_etag_ignores_preconditions()
    {
        await server.OpenCaseAsync();

        using var response = await GetAsync("/cases?limit=1", ("If-None-Match", "*"), ("If-Match", "\"999\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.ETag);
    }
}

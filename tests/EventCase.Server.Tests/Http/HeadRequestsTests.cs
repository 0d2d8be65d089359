using System.Net;
using System.Net.Sockets;
using System.Text;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// HEAD, as a load balancer's health probe, a link checker or a cache sends it (RFC 9110 §9.3.2: every general-purpose
/// server supports it): every GET route answers it with GET's status and headers and no body, read off the socket of
/// the production server, Kestrel, so that nothing between the service and the wire adds a body.
/// </summary>
public sealed class HeadRequestsTests(KestrelServerFixture server) : IClassFixture<KestrelServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Headers that differ between any two answers (or, for Transfer-Encoding, say how a body that HEAD has not is framed).</summary>
    private static readonly string[] PerAnswer = ["date", "x-correlation-id", "transfer-encoding"];

    public static TheoryData<string, string?> Reads => new()
    {
        { "/health/live", null },
        { "/health/ready", null },
        { "/openapi/v1.json", null },
        { "/open311/v2/services.json", null },
        { "/open311/v2/services.xml", null },
        { "/cases/{id}", Roles.Agent },
        { "/cases/{id}/history", Roles.Citizen },
        { "/cases?limit=1", Roles.Agent },
        { "/admin/calendar", Roles.Auditor },
        { "/statistics/transparency.csv", Roles.Agent },
        { "/audit/cases/{id}/export?format=csv", Roles.Auditor },
        { "/cases/no-such-case", Roles.Agent },
        { "/cases/{id}", null },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Head_answers_a_read_with_its_status_and_headers_and_no_body_on_the_wire(string route, string? role)
    {
        var path = route.Replace("{id}", await server.OpenCaseAsync(), StringComparison.Ordinal);
        // The statistics and the readiness figures change as the read models take the new case up: between the GET and
        // the HEAD, the CSV grew by two bytes (3 runs in 7, also run alone).
        await server.WaitForProjectionsAsync();

        var get = await SendRawAsync("GET", path, role);
        var head = await SendRawAsync("HEAD", path, role);

        Assert.Equal(get.StatusLine, head.StatusLine);
        Assert.Equal(Comparable(get.Headers), Comparable(head.Headers));
        Assert.Empty(head.Body);
    }

    [Theory]
    [InlineData("/cases/{id}", "GET, HEAD")]
    [InlineData("/cases", "GET, HEAD, POST")]
    [InlineData("/health/live", "GET, HEAD")]
    public async Task A_method_a_route_does_not_take_is_405_with_allow_listing_head_beside_get(string route, string allowed)
    {
        var path = route.Replace("{id}", await server.OpenCaseAsync(), StringComparison.Ordinal);
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.SendAsync(new HttpRequestMessage(HttpMethod.Patch, path), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allowed, string.Join(", ", response.Content.Headers.Allow.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Head_on_a_route_that_only_writes_is_405_with_allow()
    {
        var path = $"/cases/{await server.OpenCaseAsync()}/notes";

        var head = await SendRawAsync("HEAD", path, Roles.Agent);

        Assert.StartsWith("HTTP/1.1 405", head.StatusLine, StringComparison.Ordinal);
        Assert.Contains(head.Headers, h => h.Name == "allow" && h.Value == "POST");
        Assert.Empty(head.Body);
    }

    private static List<(string Name, string Value)> Comparable(List<(string Name, string Value)> headers) =>
        [.. headers.Where(h => !PerAnswer.Contains(h.Name)).OrderBy(h => h.Name, StringComparer.Ordinal)];

    /// <summary>
    /// One request on a connection of its own, read until the server closes it: what Kestrel put on the wire, not what
    /// an HTTP client makes of it (which would drop a body sent after HEAD without saying so).
    /// </summary>
    private async Task<(string StatusLine, List<(string Name, string Value)> Headers, byte[] Body)> SendRawAsync(string method, string path, string? role)
    {
        var address = server.Client().BaseAddress!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Ct);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n");
        if (role is not null)
        {
            request.Append("Authorization: Bearer ").Append(server.Token(role)).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), Ct);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, Ct);
        var bytes = answer.ToArray();
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end > 0, Encoding.ASCII.GetString(bytes));
        var lines = Encoding.ASCII.GetString(bytes, 0, end).Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0].Trim().ToLowerInvariant(), p[1].Trim())).ToList();
        return (lines[0], headers, bytes[(end + 4)..]);
    }
}

using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// Route values with control characters through the production server, Kestrel: an encoded NUL never reaches the
/// service (Kestrel answers it with a bare 400 before any route is chosen), every other control character is the
/// service's own 400 naming the route value. Neither is ever a 500.
/// </summary>
public sealed class KestrelRequestValuesTests(KestrelServerFixture server) : IClassFixture<KestrelServerFixture>
{
    [Theory]
    [InlineData("/cases/abc%00def")]
    [InlineData("/cases/by-number/DEMO-2026-%00")]
    [InlineData("/cases/abc%00def/history")]
    [InlineData("/open311/v2/tokens/a%00b.json")]
    public async Task A_nul_in_the_path_is_refused_by_kestrel_with_a_400_before_the_service_sees_it(string path)
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData("/cases/abc%01def", "id")]
    [InlineData("/cases/abc%0Adef", "id")]
    [InlineData("/cases/by-number/DEMO-2026-%7F", "number")]
    public async Task Any_other_control_character_in_a_route_value_is_a_problem_naming_it(string path, string name)
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]![name]);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }
}

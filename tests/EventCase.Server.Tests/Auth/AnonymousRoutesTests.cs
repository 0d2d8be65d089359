using System.Net;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Auth;

/// <summary>
/// Which routes answer without a token. The service has no fallback policy (an unknown path must stay a 404, not a
/// 401), so a route mapped without <c>RequireAuthorization</c> would be open to anyone: every route either names its
/// policy or is one of the few that are anonymous on purpose.
/// </summary>
public sealed class AnonymousRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>The routes documented as anonymous (docs/api.md): health, Open311 (its api_key is its own), the dev token, the OpenAPI document.</summary>
    private static readonly string[] DocumentedAnonymous =
    [
        "/health/live", "/health/ready", "/dev/token", "/openapi/{documentName}.json",
        "/open311/v2/services.{format}", "/open311/v2/services/{code}.{format}", "/open311/v2/requests.{format}",
        "/open311/v2/requests/{id}.{format}", "/open311/v2/tokens/{token}.{format}",
    ];

    [Fact]
    public void Every_route_names_the_policy_it_needs_unless_it_is_documented_as_anonymous()
    {
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        var anonymous = endpoints
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null || !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is not null))
            .Select(e => e.RoutePattern.RawText!)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.Equal(DocumentedAnonymous.Order(StringComparer.Ordinal), anonymous);
    }
}

/// <summary>The service as deployed: the Production environment, with a signing key configured.</summary>
public sealed class ProductionServerFixture : ServerFixture
{
    protected override void ConfigureHost(IWebHostBuilder builder) => builder.UseEnvironment("Production");
}

/// <summary>What the Development conveniences leave behind in Production: nothing that issues a token.</summary>
public sealed class ProductionAuthTests(ProductionServerFixture server) : IClassFixture<ProductionServerFixture>
{
    [Fact]
    public async Task Outside_development_there_is_no_token_endpoint_and_the_openapi_document_does_not_name_one()
    {
        using var anonymous = server.Client();

        using var response = await anonymous.PostAsync("/dev/token", Json("""{"role":"admin","agency":"demo-city","subject":"mallory"}"""));
        var document = await anonymous.GetStringAsync("/openapi/v1.json");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("accessToken", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/dev/token", document, StringComparison.Ordinal);
    }
}

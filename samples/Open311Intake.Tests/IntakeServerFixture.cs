using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using EventCase.Server.Hosting;
using EventCase.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(PostgresClusterFixture))]

namespace Open311Intake.Tests;

/// <summary>
/// The real EventCase service, in process, on a PostgreSQL database of its own: Development environment (so the demo
/// agency is seeded and <c>/dev/token</c> issues agent tokens) with one Open311 client key, as a city would configure
/// for its 311 app. The sample's client talks to it through the test server's <see cref="HttpClient"/>.
/// </summary>
public sealed class IntakeServerFixture : DatabaseFixture
{
    public const string ApiKey = "intake-test-key";

    // global::Program is the server's entry point; this test assembly also sees the sample's Open311Intake.Program.
    private WebApplicationFactory<global::Program>? _factory;

    private WebApplicationFactory<global::Program> Factory => _factory ?? throw new InvalidOperationException("Not started.");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _factory = new WebApplicationFactory<global::Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:EventCase", ConnectionString);
            builder.UseSetting("Auth:SigningKey", "intake-test-signing-key-0123456789-abcdefgh");
            builder.UseSetting($"Open311:Clients:{ApiKey}:Agency", "demo-city");
            builder.UseSetting($"Open311:Clients:{ApiKey}:Role", "agent");
            builder.UseSetting($"Open311:Clients:{ApiKey}:Name", "Intake sample tests");
        });
        _ = _factory.Server; // starts the host: database, migrations, demo seed
        await _factory.Services.GetRequiredService<EventCaseDatabase>().WhenReady;
    }

    /// <summary>An HTTP client for the in-process server (its base address is <c>http://localhost/</c>).</summary>
    public HttpClient Http() => Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>The GeoReport v2 endpoint of the in-process server.</summary>
    public static Uri Endpoint { get; } = new("http://localhost/open311/v2/");

    /// <summary>The sample's client over <paramref name="http"/>, with the configured api_key unless told otherwise.</summary>
    internal static Open311Client Client(HttpClient http, string? apiKey = ApiKey) => new(http, Endpoint, apiKey);

    /// <summary>An agent of the demo agency resolves a case through the REST API, as staff would in their own tools.</summary>
    public async Task ResolveAsAgentAsync(string caseId, string publicSummary)
    {
        using var http = Http();
        using var tokenResponse = await http.PostAsJsonAsync("/dev/token", new { role = "agent", agency = "demo-city", subject = "crew-7" });
        var token = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync())!["accessToken"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var body = new StringContent(
            new JsonObject { ["resolutionCode"] = "repaired", ["publicSummary"] = publicSummary }.ToJsonString(), Encoding.UTF8, "application/json");
        using var resolved = await http.PostAsync(new Uri($"/cases/{caseId}/resolve", UriKind.Relative), body);
        Assert.True(resolved.IsSuccessStatusCode, await resolved.Content.ReadAsStringAsync());
    }

    public override async ValueTask DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using EventCase.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EventCase.Server.Tests.Support;

/// <summary>
/// The service on a database of its own (per test class): <see cref="WebApplicationFactory{TEntryPoint}"/> over the
/// real <c>Program</c>, pointed at the fixture's PostgreSQL database, Development environment (so the dev-token route
/// exists) with a fixed signing key, the demo agency seeded, and an Open311 client key per role.
/// </summary>
public class ServerFixture : DatabaseFixture
{
    public const string SigningKey = "test-signing-key-0123456789-abcdefghijklmnop";
    public const string AgencyA = "demo-city";
    public const string AgencyB = "other-town";

    private WebApplicationFactory<Program>? _factory;

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("Not started.");

    /// <summary>
    /// Whether the service runs on Kestrel on a loopback port, as in production, instead of the in-memory test server:
    /// for what Kestrel decides before the service sees a request. <see cref="Client"/> then talks to it over TCP.
    /// </summary>
    protected virtual bool OnKestrel => false;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:EventCase", ConnectionString);
            builder.UseSetting("Auth:SigningKey", SigningKey);
            builder.UseSetting("EventCase:MaxRequestBodyBytes", "16384");
            builder.UseSetting("Open311:Clients:agent-key-a:Agency", AgencyA);
            builder.UseSetting("Open311:Clients:agent-key-a:Role", "agent");
            builder.UseSetting("Open311:Clients:agent-key-b:Agency", AgencyB);
            builder.UseSetting("Open311:Clients:agent-key-b:Role", "agent");
            builder.UseSetting("Open311:PublicAgency", AgencyA);
            ConfigureHost(builder);
        });
        if (OnKestrel)
        {
            _factory.UseKestrel();
            _factory.StartServer(); // starts the host on a loopback port: database, migrations, seed
        }
        else
        {
            _ = _factory.Server; // starts the host: database, migrations, seed
        }

        await Services.GetRequiredService<EventCaseDatabase>().WhenReady;
        await SeedAgencyBAsync();
    }

    public IServiceProvider Services => Factory.Services;

    /// <summary>Changes the host of a fixture of its own (a fake clock, a setting) before it starts.</summary>
    protected virtual void ConfigureHost(IWebHostBuilder builder)
    {
    }

    public int UnexpectedErrorCount => Services.GetRequiredService<UnexpectedErrors>().Count;

    public string Token(string role, string agency = AgencyA, string subject = "alice", string? citizen = null) =>
        Services.GetRequiredService<TokenKeys>().Issue(subject, role, agency, citizen ?? (role == Roles.Citizen ? "citizen-1" : null), TimeSpan.FromHours(1));

    public HttpClient Client(string? role = null, string agency = AgencyA, string subject = "alice", string? citizen = null)
    {
        var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = Factory.ClientOptions.BaseAddress });
        if (role is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, agency, subject, citizen));
        }

        return client;
    }

    /// <summary>
    /// Routes the second agency's potholes to its roads team (<c>b-roads</c>), for tests that transfer cases to it. The
    /// fixture is shared by a class's tests: the rule exists after the first call, which the later calls accept.
    /// </summary>
    public async Task RouteAgencyBPotholesToItsRoadsTeamAsync()
    {
        using var admin = Client(Roles.Admin, AgencyB);
        using var response = await admin.PostAsync("/admin/routing/rules", Json("""{"ruleId":"b-roads","priority":1,"services":["pothole"],"team":"b-roads"}"""));
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Opens a pothole case in <paramref name="agency"/> and returns its id.</summary>
    public async Task<string> OpenCaseAsync(string agency = AgencyA, string? citizen = "citizen-1", string service = "pothole")
    {
        using var client = Client(Roles.Agent, agency);
        var body = citizen is null
            ? $$$"""{"service":"{{{service}}}","description":"A hole","location":{"latitude":42.35,"longitude":-71.06}}"""
            : $$$"""{"service":"{{{service}}}","description":"A hole","citizen":{"reference":"{{{citizen}}}","name":"Ann"},"location":{"latitude":42.35,"longitude":-71.06}}""";
        using var response = await client.PostAsync("/cases", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["caseId"]!.GetValue<string>();
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("Empty body.");
    }

    /// <summary>How many events the store holds (to prove a rejected request wrote nothing).</summary>
    public async Task<long> EventCountAsync()
    {
        await using var command = DataSource.CreateCommand("SELECT count(*) FROM eventcase.events");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until the async projections have caught up with the log.</summary>
    public async Task WaitForProjectionsAsync()
    {
        var store = Services.GetRequiredService<EventCaseDatabase>().Store;
        for (var i = 0; i < 200; i++)
        {
            var statuses = await store.Projections.GetStatusAsync();
            if (statuses.All(s => s.LagEvents == 0 && s.Built))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The projections did not catch up.");
    }

    private async Task SeedAgencyBAsync()
    {
        using var admin = Client(Roles.Admin, AgencyB);
        using var response = await admin.PostAsync("/admin/services", Json("""
            {"code":"pothole","name":"Pothole","description":"A pothole.","defaultPriority":"normal","slaHours":40}
            """));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
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

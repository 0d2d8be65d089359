using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using EventCase.Hosting;
using EventCase.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(PostgresClusterFixture))]

namespace EmbeddedAgency.Tests.Support;

/// <summary>
/// The sample host, unchanged (<c>WebApplicationFactory&lt;Program&gt;</c> over its real <c>Program</c>), on a PostgreSQL
/// database of its own for the test class: the only thing the test changes is the connection string, through
/// configuration, exactly as an operator would.
/// </summary>
public sealed class AgencyHostFixture : DatabaseFixture
{
    private WebApplicationFactory<Program>? _factory;

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("Not started.");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            builder.UseSetting("ConnectionStrings:EventCase", ConnectionString));
        _ = _factory.Server; // starts the host: database, migrations, the agency's reference data
        await _factory.Services.GetRequiredService<EventCaseEngine>().WhenReady;
    }

    public HttpClient Client(string agent = "marge")
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Agent", agent);
        return client;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("Empty body.");
    }

    public static async Task<JsonNode> PostAsync(HttpClient client, string path, object? body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>How many case streams the agency has (reference streams such as <c>$catalog</c> do not count).</summary>
    public async Task<long> CaseCountAsync()
    {
        await using var command = DataSource.CreateCommand("SELECT count(*) FROM eventcase.streams WHERE tenant_id = 'springfield' AND stream_id NOT LIKE '$%'");
        return (long)(await command.ExecuteScalarAsync())!;
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

using System.Net;
using System.Net.Http.Headers;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Hosting;

/// <summary>
/// Several nodes of the service on one database, as docs/operating.md ("Several nodes") runs them: each a host of its
/// own in this process (<see cref="NodesOnOneDatabase"/>).
/// </summary>
public sealed class SeveralNodesTests(DatabaseFixture database) : NodesOnOneDatabase(database), IClassFixture<DatabaseFixture>
{

    [Fact]
    public async Task Nodes_started_at_once_on_an_empty_database_all_start_and_the_demo_agency_is_seeded_once()
    {
        // The schema without the demo agency, as a node that seeds nothing leaves it: the lock below needs the schema.
        var migrating = Node(seed: false);
        _ = migrating.Server;
        await migrating.Services.GetRequiredService<EventCaseDatabase>().WhenReady;
        Forget(migrating);
        await migrating.DisposeAsync();

        WebApplicationFactory<TokenKeys>[] nodes = [Node(), Node()];
        Task[] starting;
        await using (var held = await HoldAppendsAsync("$catalog"))
        {
            starting = [.. nodes.Select(n => Task.Run(() => n.Server, Ct))];
            // Both found no catalog and wait to append theirs.
            await held.WaitForWaitersAsync(2, starting);
        }

        await Task.WhenAll(starting).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(4, await CountAsync("SELECT count(*) FROM eventcase.events WHERE tenant_id = 'demo-city' AND stream_id = '$catalog'"));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM eventcase.events WHERE tenant_id = 'demo-city' AND stream_id = '$routing'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM eventcase.events WHERE tenant_id = 'demo-city' AND stream_id = '$calendar'"));
        foreach (var node in nodes)
        {
            using var client = Client(node, Roles.Agent);
            using var opened = await client.PostAsync("/cases", Json("""{"service":"pothole","description":"A hole","location":{"address":"1 Main St"}}"""), Ct);
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        }
    }
}

/// <summary>
/// An admin write (catalog, routing, calendar) sent with one Idempotency-Key to two nodes at once, as a client that
/// timed out on one node retries on another: made once, and answered as docs/api.md says a retry is.
/// </summary>
public sealed class SeveralNodesAdminWriteTests(DatabaseFixture database) : NodesOnOneDatabase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_same_admin_write_sent_to_two_nodes_at_once_is_made_once_and_one_answer_says_it_was_replayed()
    {
        var (first, second) = await TwoNodesAsync();
        const string body = """{"code":"icy-road","name":"Icy road","description":"Ice on a street.","slaHours":8}""";
        var answers = await RaceAsync("$catalog", [(first, body), (second, body)], "/admin/services", "define-icy-road");

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, a.Body));
        Assert.Equal(1, answers.Count(a => a.Replayed));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM eventcase.events WHERE stream_id = '$catalog' AND data->'definition'->>'code' = 'icy-road'"));
    }

    [Fact]
    public async Task An_admin_write_that_reuses_a_key_with_another_body_on_another_node_at_the_same_moment_is_refused()
    {
        var (first, second) = await TwoNodesAsync();
        var answers = await RaceAsync("$routing",
        [
            (first, """{"ruleId":"graffiti-to-clean","priority":5,"services":["graffiti"],"team":"clean-team"}"""),
            (second, """{"ruleId":"graffiti-to-paint","priority":5,"services":["graffiti"],"team":"paint-team"}"""),
        ], "/admin/routing/rules", "route-graffiti");

        Assert.Single(answers, a => a.Status == HttpStatusCode.OK && !a.Replayed);
        var refused = Assert.Single(answers, a => a.Status != HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Contains("request.idempotency-key-reused", refused.Body, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM eventcase.events WHERE stream_id = '$routing' AND event_type = 'routing.rule-added.v1' AND data->'rule'->>'ruleId' LIKE 'graffiti-to-%'"));
    }

    private async Task<(WebApplicationFactory<TokenKeys>, WebApplicationFactory<TokenKeys>)> TwoNodesAsync()
    {
        var first = Node();
        var second = Node();
        foreach (var node in (WebApplicationFactory<TokenKeys>[])[first, second])
        {
            _ = node.Server;
            await node.Services.GetRequiredService<EventCaseDatabase>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }

        return (first, second);
    }

    /// <summary>Sends each body to its node with the key, both held at the stream's append until both are there.</summary>
    private async Task<(HttpStatusCode Status, bool Replayed, string Body)[]> RaceAsync(
        string stream, (WebApplicationFactory<TokenKeys> Node, string Body)[] requests, string path, string key)
    {
        Task<(HttpStatusCode, bool, string)>[] sent;
        await using (var held = await HoldAppendsAsync(stream))
        {
            sent = [.. requests.Select(r => SendAsync(r.Node, r.Body))];
            await held.WaitForWaitersAsync(requests.Length, sent);
        }

        return await Task.WhenAll(sent).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        async Task<(HttpStatusCode, bool, string)> SendAsync(WebApplicationFactory<TokenKeys> node, string body)
        {
            using var client = Client(node, Roles.Admin);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request, Ct);
            var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
            return (response.StatusCode, replayed, await response.Content.ReadAsStringAsync(Ct));
        }
    }
}

/// <summary>
/// Nodes of the service, each a host of its own in this process, on one database; disposed with the test. Where two nodes
/// race for one stream, a test holds the stream's append lock while both reach it, so that the race happens every time.
/// </summary>
public abstract class NodesOnOneDatabase(DatabaseFixture database) : IAsyncDisposable
{
    private readonly List<WebApplicationFactory<TokenKeys>> _nodes = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected DatabaseFixture Database => database;

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected void Forget(WebApplicationFactory<TokenKeys> node) => _nodes.Remove(node);

    protected WebApplicationFactory<TokenKeys> Node(bool seed = true)
    {
        var node = new WebApplicationFactory<TokenKeys>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:EventCase", database.ConnectionString);
            builder.UseSetting("Auth:SigningKey", SigningKey);
            builder.UseSetting("EventCase:SeedDemoData", seed ? "true" : "false");
        });
        _nodes.Add(node);
        return node;
    }

    protected static HttpClient Client(WebApplicationFactory<TokenKeys> node, string role)
    {
        var client = node.CreateClient();
        var token = node.Services.GetRequiredService<TokenKeys>().Issue("alice", role, AgencyA, null, TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected async Task<long> CountAsync(string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Holds the append lock of the demo agency's stream until disposed: appends to it wait.</summary>
    protected async Task<HeldAppends> HoldAppendsAsync(string stream)
    {
        var connection = await database.DataSource.OpenConnectionAsync(Ct);
        var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(eventcase.stream_lock_key($1, $2))", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = AgencyA });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        await command.ExecuteNonQueryAsync(Ct);
        return new HeldAppends(connection, transaction);
    }

    protected sealed class HeldAppends(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        /// <summary>Waits until <paramref name="count"/> sessions wait for an advisory lock; fails when a task ends first.</summary>
        public async Task WaitForWaitersAsync(int count, IReadOnlyList<Task> requests)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                connection, transaction);
            for (var i = 0; ; i++)
            {
                if ((long)(await command.ExecuteScalarAsync(Ct))! >= count)
                {
                    return;
                }

                if (requests.FirstOrDefault(r => r.IsCompleted) is { } ended)
                {
                    await ended; // its failure, if it failed
                    Assert.Fail("a request ended before the others reached the append");
                }

                Assert.True(i < 600, "the requests did not reach the append within 60 s");
                await Task.Delay(100, Ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.CommitAsync(Ct);
            await connection.DisposeAsync();
        }
    }
}

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
/// own in this process. Where two nodes race for one stream, the test holds the stream's append lock while both reach
/// it, so that the race happens every time rather than now and then.
/// </summary>
public sealed class SeveralNodesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly List<WebApplicationFactory<TokenKeys>> _nodes = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Nodes_started_at_once_on_an_empty_database_all_start_and_the_demo_agency_is_seeded_once()
    {
        // The schema without the demo agency, as a node that seeds nothing leaves it: the lock below needs the schema.
        var migrating = Node(seed: false);
        _ = migrating.Server;
        await migrating.Services.GetRequiredService<EventCaseDatabase>().WhenReady;
        _nodes.Remove(migrating);
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

    private WebApplicationFactory<TokenKeys> Node(bool seed = true)
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

    private static HttpClient Client(WebApplicationFactory<TokenKeys> node, string role)
    {
        var client = node.CreateClient();
        var token = node.Services.GetRequiredService<TokenKeys>().Issue("alice", role, AgencyA, null, TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>Holds the append lock of the demo agency's stream until disposed: appends to it wait.</summary>
    private async Task<HeldAppends> HoldAppendsAsync(string stream)
    {
        var connection = await database.DataSource.OpenConnectionAsync(Ct);
        var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(eventcase.stream_lock_key($1, $2))", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = AgencyA });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        await command.ExecuteNonQueryAsync(Ct);
        return new HeldAppends(connection, transaction);
    }

    private sealed class HeldAppends(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
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

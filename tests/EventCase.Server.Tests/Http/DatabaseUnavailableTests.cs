using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Http;
using EventCase.Server.Tests.Support;
using Npgsql;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// A request whose database connection is lost gets a retryable 503, not a 500. A class of its own: its tests kill the
/// backends of the fixture's database.
/// </summary>
public sealed class DatabaseUnavailableTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_read_whose_database_connection_is_terminated_is_a_503_with_retry_after_and_no_internals()
    {
        await server.OpenCaseAsync();
        var unexpected = server.UnexpectedErrorCount;
        using var agent = server.Client(Roles.Agent);

        using var response = await WhileTheCaseListWaitsOnALockAsync(() => agent.GetAsync("/cases", Ct));

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(DatabaseUnavailableHandler.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        var problem = await ReadJsonAsync(response);
        Assert.Equal("server.unavailable", problem["code"]!.GetValue<string>());
        Assert.NotNull(problem["correlationId"]);
        Assert.DoesNotContain("57P01", text, StringComparison.Ordinal);
        Assert.DoesNotContain("terminat", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(unexpected, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task An_open311_read_whose_database_connection_is_terminated_is_a_georeport_503_with_retry_after()
    {
        await server.OpenCaseAsync();
        var unexpected = server.UnexpectedErrorCount;
        using var client = server.Client();

        using var response = await WhileTheCaseListWaitsOnALockAsync(() => client.GetAsync("/open311/v2/requests.json", Ct));

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(DatabaseUnavailableHandler.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        var error = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray().Single()!;
        Assert.Equal(503, error["code"]!.GetValue<int>());
        Assert.Contains("Correlation id: ", error["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("57P01", text, StringComparison.Ordinal);
        Assert.Equal(unexpected, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData("08006", true)]
    [InlineData("53300", true)]
    [InlineData("57P01", true)]
    [InlineData("57P03", true)]
    [InlineData("23505", false)]
    [InlineData("42P01", false)]
    [InlineData("22P02", false)]
    public void Server_errors_about_the_connection_or_resources_mean_unavailable_and_others_do_not(string sqlState, bool unavailable)
    {
        var error = new PostgresException("message", "ERROR", "ERROR", sqlState);

        Assert.Equal(unavailable, DatabaseUnavailableHandler.IsDatabaseUnavailable(error));
        Assert.Equal(unavailable, DatabaseUnavailableHandler.IsDatabaseUnavailable(new InvalidOperationException("wrapped", error)));
    }

    [Fact]
    public void Npgsql_failing_to_reach_the_server_means_unavailable_and_other_exceptions_do_not()
    {
        Assert.True(DatabaseUnavailableHandler.IsDatabaseUnavailable(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
        Assert.True(DatabaseUnavailableHandler.IsDatabaseUnavailable(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111))));
        Assert.False(DatabaseUnavailableHandler.IsDatabaseUnavailable(new InvalidOperationException("a defect")));
        Assert.False(DatabaseUnavailableHandler.IsDatabaseUnavailable(new TimeoutException("not the database's")));
    }

    /// <summary>
    /// Sends the request while another session holds the case list's table locked, terminates the request's backend once
    /// it waits on that lock (as a database restart or failover would end it), then lets go of the lock. The waiting
    /// backend is found by its wait alone: its query text may still be the previous statement's while it parses the next.
    /// </summary>
    private async Task<HttpResponseMessage> WhileTheCaseListWaitsOnALockAsync(Func<Task<HttpResponseMessage>> send)
    {
        await using var locker = await server.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await locker.BeginTransactionAsync(Ct);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE eventcase.case_summary IN ACCESS EXCLUSIVE MODE", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(Ct);
        }

        var request = send();
        var terminated = false;
        for (var i = 0; i < 600 && !terminated && !request.IsCompleted; i++)
        {
            await using var terminate = new NpgsqlCommand(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                """,
                locker,
                transaction);
            terminated = (long)(await terminate.ExecuteScalarAsync(Ct))! > 0;
            if (!terminated)
            {
                await Task.Delay(50, Ct);
            }
        }

        Assert.True(terminated, "the request never waited on the lock");
        await transaction.RollbackAsync(Ct);
        return await request;
    }
}

using System.Net;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace EventCase.Server.Tests.Http;

/// <summary>The service with a readiness deadline of one second, on a database of its own (its tests hold its tables locked).</summary>
public sealed class ReadinessDeadlineFixture : ServerFixture
{
    protected override void ConfigureHost(IWebHostBuilder builder) => builder.UseSetting("EventCase:ReadinessTimeoutSeconds", "1");
}

/// <summary>
/// <c>/health/ready</c> answers within its deadline when the database takes connections but does not answer, as a
/// frozen or partitioned server does: the drill that froze PostgreSQL for a minute saw the probe wait 15 to 60 s.
/// A lock held on what the check reads stands in for the frozen server.
/// </summary>
public sealed class ReadinessDeadlineTests(ReadinessDeadlineFixture server) : IClassFixture<ReadinessDeadlineFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readiness_answers_unhealthy_within_its_deadline_while_the_database_does_not_answer_and_healthy_once_it_does()
    {
        using var client = server.Client();
        await using (var locker = await server.DataSource.OpenConnectionAsync(Ct))
        {
            await using var transaction = await locker.BeginTransactionAsync(Ct);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE eventcase.schema_migrations IN ACCESS EXCLUSIVE MODE", locker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync(Ct);
            }

            var probe = client.GetAsync("/health/ready", Ct);
            // Generous against the one-second deadline, and well short of the driver's own timeouts (30 s per command):
            // without the deadline the probe is still waiting when this gives up.
            var answered = await Task.WhenAny(probe, Task.Delay(TimeSpan.FromSeconds(20), Ct)) == probe;
            Assert.True(answered, "/health/ready did not answer while the database did not");
            using var response = await probe;
            var report = await ServerFixture.ReadJsonAsync(response);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("unhealthy", report["status"]!.GetValue<string>());
            var database = report["checks"]!.AsArray().Last(c => c!["name"]!.GetValue<string>() == "database")!;
            Assert.False(database["healthy"]!.GetValue<bool>());
            Assert.Equal("no answer within 1 s", database["detail"]!.GetValue<string>());
            await transaction.RollbackAsync(Ct);
        }

        using var after = await client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}

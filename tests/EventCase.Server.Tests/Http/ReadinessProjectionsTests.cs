using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace EventCase.Server.Tests.Http;

/// <summary>The service with its default readiness settings, on a database of its own (its tests fail a projection).</summary>
public sealed class ReadinessCountingProjectionsFixture : ServerFixture;

/// <summary>The service told that projections do not decide readiness, as behind a load balancer.</summary>
public sealed class ReadinessNotCountingProjectionsFixture : ServerFixture
{
    protected override void ConfigureHost(IWebHostBuilder builder) => builder.UseSetting("EventCase:ReadinessCountsProjections", "false");
}

/// <summary>What a failed projection does to <c>/health/ready</c>, by default and when projections are not counted.</summary>
public static class FailedProjection
{
    /// <summary>Marks the audit trail failed, as its owner does when an event cannot be applied, and reads readiness.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode Report)> ReadinessWithAFailedAuditTrailAsync(ServerFixture server, CancellationToken cancellationToken)
    {
        await using (var fail = server.DataSource.CreateCommand(
            "UPDATE eventcase.projections SET state = 'failed', error = 'readiness test: the projection failed' WHERE name = 'audit_trail'"))
        {
            Assert.Equal(1, await fail.ExecuteNonQueryAsync(cancellationToken));
        }

        using var client = server.Client();
        using var ready = await client.GetAsync("/health/ready", cancellationToken);
        return (ready.StatusCode, await ServerFixture.ReadJsonAsync(ready));
    }

    /// <summary>The audit trail's check in the report.</summary>
    public static JsonNode AuditTrailCheck(JsonNode report) =>
        report["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "projection:audit_trail")!;
}

public sealed class ReadinessCountingProjectionsTests(ReadinessCountingProjectionsFixture server) : IClassFixture<ReadinessCountingProjectionsFixture>
{
    [Fact]
    public async Task A_failed_projection_makes_the_service_not_ready_by_default_and_is_named_in_the_report()
    {
        var (status, report) = await FailedProjection.ReadinessWithAFailedAuditTrailAsync(server, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unhealthy", report["status"]!.GetValue<string>());
        Assert.False(FailedProjection.AuditTrailCheck(report)["healthy"]!.GetValue<bool>());
    }
}

public sealed class ReadinessNotCountingProjectionsTests(ReadinessNotCountingProjectionsFixture server) : IClassFixture<ReadinessNotCountingProjectionsFixture>
{
    [Fact]
    public async Task With_projections_not_counted_a_failed_projection_is_listed_unhealthy_while_the_service_stays_ready()
    {
        var (status, report) = await FailedProjection.ReadinessWithAFailedAuditTrailAsync(server, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("healthy", report["status"]!.GetValue<string>());
        Assert.False(FailedProjection.AuditTrailCheck(report)["healthy"]!.GetValue<bool>());
    }
}

using System.Collections.Concurrent;

namespace Open311Intake.Tests;

public sealed class Open311ClientTests(IntakeServerFixture server) : IClassFixture<IntakeServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Open311NewRequest Pothole(string description = "Deep pothole in the bike lane") => new("pothole")
    {
        Latitude = 42.3601,
        Longitude = -71.0589,
        Address = "1 City Hall Sq",
        Description = description,
        Email = "ann@example.org",
        FirstName = "Ann",
        Attributes = new Dictionary<string, IReadOnlyList<string>> { ["depth"] = ["deep"] },
    };

    [Fact]
    public async Task The_service_list_and_a_service_definition_name_what_a_request_can_carry()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);

        var services = await client.GetServicesAsync(Ct);
        var definition = await client.GetServiceDefinitionAsync("pothole", Ct);

        Assert.Equal(["graffiti", "missed-trash", "pothole", "streetlight"], services.Select(s => s.ServiceCode).Order(StringComparer.Ordinal));
        Assert.True(services.Single(s => s.ServiceCode == "pothole").Metadata);
        var depth = Assert.Single(definition.Attributes);
        Assert.Equal(("depth", "singlevaluelist"), (depth.Code, depth.Datatype));
        Assert.Equal(["shallow", "deep"], depth.Values!.Select(v => v.Key));
    }

    [Fact]
    public async Task A_filed_request_gets_a_request_id_and_reads_back_open_with_what_the_resident_said()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);

        var receipt = await client.FileAsync(Pothole("Deep pothole on Elm St"), cancellationToken: Ct);
        var request = await client.GetRequestAsync(receipt.ServiceRequestId!, Ct);

        Assert.Matches(@"^DEMO-\d{4}-\d{6}$", receipt.ServiceRequestId);
        Assert.Equal(receipt.ServiceRequestId, await client.GetRequestIdForTokenAsync(receipt.Token!, Ct));
        Assert.Equal("open", request.Status);
        Assert.False(request.IsClosed);
        Assert.Equal(("pothole", "Pothole", "Deep pothole on Elm St"), (request.ServiceCode, request.ServiceName, request.Description));
        Assert.Equal((42.3601, -71.0589), (request.Lat, request.Long));
        Assert.Equal("1 City Hall Sq", request.Address);
        Assert.NotNull(request.RequestedDatetime);
        Assert.True(request.ExpectedDatetime > request.RequestedDatetime, "the SLA due time is after the filing");
    }

    [Fact]
    public async Task The_same_idempotency_key_files_one_request_however_often_it_is_sent()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);
        var key = "intake-" + Guid.NewGuid().ToString("N");

        var first = await client.FileAsync(Pothole(), key, Ct);
        var retry = await client.FileAsync(Pothole(), key, Ct);

        Assert.Equal(first, retry);
    }

    [Fact]
    public async Task Watching_a_request_sees_it_close_once_an_agent_resolves_the_case_through_the_rest_api()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);
        var receipt = await client.FileAsync(Pothole(), cancellationToken: Ct);
        var seen = new ConcurrentQueue<Open311ServiceRequest>();
        var firstPoll = new TaskCompletionSource();

        var watch = RequestWatcher.WatchAsync(
            client, receipt.ServiceRequestId!, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(60), TimeProvider.System,
            request =>
            {
                seen.Enqueue(request);
                firstPoll.TrySetResult();
                return Task.CompletedTask;
            },
            Ct);
        await firstPoll.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await server.ResolveAsAgentAsync(receipt.Token!, "Filled and sealed");
        var outcome = await watch.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(outcome.Closed);
        Assert.Equal([("open", null), ("closed", "Filled and sealed")], seen.Select(r => (r.Status, r.StatusNotes)));
    }

    [Fact]
    public async Task A_watch_that_runs_out_of_time_reports_the_request_still_open()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);
        var receipt = await client.FileAsync(Pothole(), cancellationToken: Ct);
        var changes = 0;

        var outcome = await RequestWatcher.WatchAsync(
            client, receipt.ServiceRequestId!, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), TimeProvider.System,
            _ =>
            {
                changes++;
                return Task.CompletedTask;
            },
            Ct);

        Assert.False(outcome.Closed);
        Assert.Equal("open", outcome.Last.Status);
        Assert.Equal(1, changes); // polled several times, reported once: nothing changed
    }

    [Theory]
    [InlineData("unicorns", null, 404, "Not found (404) at POST /open311/v2/requests.json: ", "service_code 'unicorns'")]
    [InlineData("pothole", "bottomless", 400, "The server refused the request (400): ", "attribute[depth]")]
    public async Task A_request_the_server_refuses_is_a_readable_error_naming_the_field(string serviceCode, string? depth, int status, string start, string field)
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);
        var request = Pothole() with
        {
            ServiceCode = serviceCode,
            Attributes = depth is null ? new Dictionary<string, IReadOnlyList<string>>() : new Dictionary<string, IReadOnlyList<string>> { ["depth"] = [depth] },
        };

        var error = await Assert.ThrowsAsync<Open311Exception>(() => client.FileAsync(request, cancellationToken: Ct));

        Assert.Equal(status, error.StatusCode);
        Assert.Equal(status, Assert.Single(error.Errors).Code);
        Assert.StartsWith(start, error.Message, StringComparison.Ordinal);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_api_key_is_refused_with_a_message_that_says_so()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http, apiKey: "not-a-key");

        var error = await Assert.ThrowsAsync<Open311Exception>(() => client.FileAsync(Pothole(), cancellationToken: Ct));

        Assert.Equal(403, error.StatusCode);
        Assert.Equal("The api_key was refused (403): A valid api_key is required to submit requests.", error.Message);
    }

    [Fact]
    public async Task Filing_without_an_api_key_fails_before_anything_is_sent()
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http, apiKey: null);

        var error = await Assert.ThrowsAsync<Open311Exception>(() => client.FileAsync(Pothole(), cancellationToken: Ct));

        Assert.Null(error.StatusCode);
        Assert.Contains("api_key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DEMO-2026-999999")]
    [InlineData("no-such-request")]
    [InlineData("../../admin/services")]
    public async Task An_unknown_request_id_is_a_not_found_error(string id)
    {
        using var http = server.Http();
        var client = IntakeServerFixture.Client(http);

        var error = await Assert.ThrowsAsync<Open311Exception>(() => client.GetRequestAsync(id, Ct));

        Assert.Equal(404, error.StatusCode);
        Assert.StartsWith("Not found (404)", error.Message, StringComparison.Ordinal);
    }
}

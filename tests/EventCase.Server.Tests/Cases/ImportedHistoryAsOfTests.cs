using System.Net;
using EventCase.Cases;
using EventCase.Cases.Assigning;
using EventCase.Cases.Handling;
using EventCase.Cases.Opening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

public sealed class ImportedHistoryAsOfTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task As_of_an_instant_follows_the_cases_own_timeline_even_for_history_recorded_years_later()
    {
        // A 2015 case written today, as the importer writes legacy history: recorded now, happened then.
        var store = server.Services.GetRequiredService<EventCaseDatabase>().Store;
        var caseId = new CaseId("legacy-" + Guid.NewGuid().ToString("N")[..12]);
        var opened = Instant.FromUtc(2015, 3, 2, 14, 0);
        var metadata = new EventMetadata("system:importer", "system");
        object[] history =
        [
            new CaseOpened(caseId, new CaseNumber("LEG", 2015, 7), new AgencyId(AgencyA), new ServiceCode("pothole"), "Pothole", null, null,
                Channel.Phone, new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(48), opened),
            new CaseAssigned(caseId, new Assignment(new TeamId("roads")), opened + Duration.FromHours(1)),
            new CaseResolved(caseId, "repaired", "Filled.", opened + Duration.FromDays(2)),
        ];
        await store.AppendToStreamAsync(CaseStreams.For(new AgencyId(AgencyA), caseId), CaseStreams.StreamType, ExpectedVersion.NoStream,
            history.Select(e => new NewEvent(Guid.NewGuid(), e, metadata)).ToArray(), TestContext.Current.CancellationToken);
        using var agent = server.Client(Roles.Agent);

        using var afterAssignment = await agent.GetAsync($"/cases/{caseId.Value}/as-of?at=2015-03-02T18:00:00Z", TestContext.Current.CancellationToken);
        using var beforeOpening = await agent.GetAsync($"/cases/{caseId.Value}/as-of?at=2015-03-01T00:00:00Z", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, afterAssignment.StatusCode);
        var then = await ReadJsonAsync(afterAssignment);
        Assert.Equal(2, then["asOfVersion"]!.GetValue<long>());
        Assert.Equal("assigned", then["case"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, beforeOpening.StatusCode);
    }
}

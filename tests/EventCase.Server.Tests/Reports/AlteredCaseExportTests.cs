using System.Net;
using EventCase.EventStore.Auditing;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

/// <summary>
/// <c>GET /audit/cases/{id}/export</c> of a case altered with SQL. A class of its own, like
/// <see cref="CaseVerificationRouteTests"/>: altering events can stop the async projections of the fixture's database.
/// </summary>
public sealed class AlteredCaseExportTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_case_whose_opening_event_was_altered_with_sql_is_exported_as_stored_and_the_offline_verifier_reports_it()
    {
        var id = await server.OpenCaseAsync();
        // An insider renames the opening event's type: the event no longer reads as any type the service knows.
        await using (var command = server.DataSource.CreateCommand(
            "UPDATE eventcase.events SET event_type = 'case.nothing-to-see.v1' WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 1"))
        {
            command.Parameters.AddWithValue(AgencyA);
            command.Parameters.AddWithValue(id);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }

        using var auditor = server.Client(Roles.Auditor);

        using var response = await auditor.GetAsync($"/audit/cases/{id}/export", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("case.nothing-to-see.v1", (await AuditExportReader.ReadAsync(new MemoryStream(bytes), AuditExportFormat.JsonLines, Ct).FirstAsync(Ct)).Event.EventType);
        var report = await AuditExportReader.VerifyOfflineAsync(new MemoryStream(bytes), AuditExportFormat.JsonLines, Ct);
        var finding = Assert.Single(report.Findings);
        Assert.Equal((1L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
        Assert.Equal(0, server.UnexpectedErrorCount);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using EventCase.Testing;
using Npgsql;
using NodaTime;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>A work queue table with one million open cases, written straight into the table (no events).</summary>
public sealed class MillionCaseQueueFixture : DatabaseFixture
{
    public PostgresEventStore Store { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        Store = new PostgresEventStore(DataSource, new EventSerializer(ScriptedStoreFixture.Registry()), new EventStoreOptions(), [new WorkQueueProjection(ScriptedCases.BostonCalendars)]);
        await Store.MigrateAsync(cancellationToken);
        // 20 agencies × 50 teams × 500 agents; a tenth of the rows are resolved (unqueued); a third unassigned.
        await using var insert = DataSource.CreateCommand(
            """
            INSERT INTO eventcase.work_queue
                (tenant_id, row_key, row_data, queued, team, assignee, urgency_rank, sort_due, status, service, priority,
                 escalation_level, sla_due, sla_breached_at, latitude, longitude)
            SELECT 'agency-' || (g % 20), 'case-' || lpad(g::text, 7, '0'), '{}'::jsonb, g % 10 <> 0,
                   'team-' || (g % 50), CASE WHEN g % 3 = 0 THEN NULL ELSE 'agent-' || (g % 500) END,
                   (3 - (g / 7) % 4) * 4 + (3 - g % 4), timestamptz '2026-03-01' + (g % 100000) * interval '1 minute',
                   CASE WHEN g % 10 = 0 THEN 'resolved' ELSE 'assigned' END, CASE WHEN g % 7 = 0 THEN 'streetlight' ELSE 'pothole' END,
                   g % 4, (g / 7) % 4, timestamptz '2026-03-01' + (g % 100000) * interval '1 minute', NULL,
                   42.2 + (g % 1000) / 2000.0, -71.2 + (g % 997) / 2000.0
              FROM generate_series(1, 1000000) g
            """);
        insert.CommandTimeout = 600;
        await insert.ExecuteNonQueryAsync(cancellationToken);
        await using var analyze = DataSource.CreateCommand("ANALYZE eventcase.work_queue");
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}

public sealed class WorkQueuePlanTests(MillionCaseQueueFixture fixture) : IClassFixture<MillionCaseQueueFixture>
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 20, 12, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Scopes() => new()
    {
        { "team", "team" },
        { "agency-unassigned", string.Empty }, // a third of the cases are unassigned: the planner may take the agency index and filter
        { "assignee", "assignee" },
        { "agency", "urgency_rank" },
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public async Task A_queue_page_at_one_million_cases_is_an_index_scan_in_queue_order_without_a_sort(string scopeName, string indexedColumn)
    {
        var queries = new WorkQueueQueries(fixture.Store);
        var (scope, filter) = scopeName switch
        {
            "team" => (WorkQueueScope.OfTeam("team-7"), new WorkQueueFilter(Service: "pothole", Breached: true)),
            "agency-unassigned" => (WorkQueueScope.Agency, new WorkQueueFilter(Unassigned: true)),
            "assignee" => (WorkQueueScope.OfAssignee("agent-7"), null),
            _ => (WorkQueueScope.Agency, new WorkQueueFilter(Area: new BoundingBox(42.3, -71.1, 42.5, -70.9))),
        };
        // The rows were written straight into the table with empty row documents: read the sort keys, not the rows.
        string? second;
        await using (var page = queries.BuildPageCommand("agency-7", scope, filter, Now, 50, null))
        await using (var reader = await page.ExecuteReaderAsync(Ct))
        {
            var keys = new List<string[]>();
            while (await reader.ReadAsync(Ct))
            {
                keys.Add([reader.GetInt32(1).ToString(CultureInfo.InvariantCulture), reader.GetDateTime(2).Ticks.ToString(CultureInfo.InvariantCulture), reader.GetString(3)]);
            }

            Assert.Equal(51, keys.Count);
            second = ReadModelText.EncodeCursor(keys[49]);
        }

        foreach (var cursor in new[] { null, second })
        {
            await using var command = queries.BuildPageCommand("agency-7", scope, filter, Now, 50, cursor);
            var plan = await ExplainAsync(command, "ANALYZE, FORMAT JSON");
            var nodes = Nodes(plan[0]!["Plan"]!).ToList();
            var text = await ExplainAsync(command, "ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF");
            TestContext.Current.TestOutputHelper?.WriteLine($"{scopeName} (cursor: {cursor is not null}):\n{command.CommandText}\n{text}");

            var scan = Assert.Single(nodes, n => (string?)n["Node Type"] is "Index Scan");
            Assert.Contains($"work_queue_tenant_id_queued_{indexedColumn}", (string)scan["Index Name"]!, StringComparison.Ordinal);
            Assert.DoesNotContain(nodes, n => ((string)n["Node Type"]!).Contains("Sort", StringComparison.Ordinal)
                || ((string)n["Node Type"]!).Contains("Seq Scan", StringComparison.Ordinal)
                || ((string)n["Node Type"]!).Contains("Bitmap", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_planner_estimates_an_agents_queue_knowing_that_an_agent_works_for_one_agency()
    {
        // Multiplying the agency's and the agent's selectivity as if independent underestimates the rows twentyfold
        // here, which is what once made an assignee page flip to a bitmap scan and a sort (now and then, with the
        // sampled statistics). The projection's correlated-columns statistics keep the estimate near the truth.
        const string Where = "WHERE tenant_id = 'agency-7' AND assignee = 'agent-7'";
        await using var explain = fixture.DataSource.CreateCommand($"EXPLAIN (FORMAT JSON) SELECT 1 FROM eventcase.work_queue {Where}");
        var estimated = (double)JsonNode.Parse((string)(await explain.ExecuteScalarAsync(Ct))!)![0]!["Plan"]!["Plan Rows"]!;
        await using var count = fixture.DataSource.CreateCommand($"SELECT count(*) FROM eventcase.work_queue {Where}");
        var actual = (long)(await count.ExecuteScalarAsync(Ct))!;

        Assert.Equal(1333, actual);
        Assert.InRange(estimated, actual / 3.0, actual * 3.0);
    }

    private async Task<JsonNode> ExplainAsync(NpgsqlCommand page, string options)
    {
        await using var explain = fixture.DataSource.CreateCommand($"EXPLAIN ({options}) {page.CommandText}");
        foreach (NpgsqlParameter parameter in page.Parameters)
        {
            explain.Parameters.Add(parameter.Clone());
        }

        if (options.Contains("JSON", StringComparison.Ordinal))
        {
            return JsonNode.Parse((string)(await explain.ExecuteScalarAsync(Ct))!)!;
        }

        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            lines.Add(reader.GetString(0));
        }

        return JsonValue.Create(string.Join('\n', lines));
    }

    private static IEnumerable<JsonNode> Nodes(JsonNode plan) =>
        [plan, .. (plan["Plans"]?.AsArray() ?? []).SelectMany(child => Nodes(child!))];
}

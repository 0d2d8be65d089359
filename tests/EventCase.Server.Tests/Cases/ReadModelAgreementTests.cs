using System.Net;
using System.Text.Json.Nodes;
using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.Cases.Sla;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>
/// Random sequences of every case command, sent through the API as agents and supervisors send them, on a clock that
/// moves between commands: after each sequence every read model says what a fold of the case's own events says (the
/// summary, the queue row, the SLA clock, the statistics' facts), no request is answered with a 500, every refusal names
/// the case; and rebuilding the read models from the log gives the tables built live.
/// </summary>
public sealed class ReadModelAgreementTests(SlaServerFixture server) : IClassFixture<SlaServerFixture>
{
    private static readonly string[] Teams = ["roads", "parks"];
    private static readonly string[] Agents = ["ann", "bob"];
    private static readonly string[] Priorities = ["low", "normal", "high", "urgent"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task After_any_sequence_of_commands_every_read_model_agrees_with_the_fold_of_the_events_also_after_a_rebuild(int seed)
    {
        var random = new Random(seed);
        using var agent = server.Client(Roles.Agent, AgencyA, "ann");
        using var supervisor = server.Client(Roles.Supervisor, AgencyA, "sue");
        var cases = new List<string>();
        var final = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 6; i++)
        {
            cases.Add(await server.OpenCaseAsync());
        }

        for (var step = 0; step < 300; step++)
        {
            if (step % 25 == 0)
            {
                cases.Add(await server.OpenCaseAsync());
            }

            server.Clock.Advance(random.Next(4) switch
            {
                0 => Duration.FromMinutes(random.Next(1, 60)),
                1 => Duration.FromHours(random.Next(1, 12)),
                2 => Duration.FromDays(random.Next(1, 3)),
                _ => Duration.Zero,
            });
            // Mostly a case still being worked: final ones only take notes, contacts and links.
            var active = cases.Where(c => !final.Contains(c)).ToList();
            var id = active.Count > 0 && random.Next(10) > 0 ? active[random.Next(active.Count)] : cases[random.Next(cases.Count)];
            var other = cases[random.Next(cases.Count)];
            var (path, body, supervisorOnly) = RandomCommand(random, other);
            using var response = await (supervisorOnly ? supervisor : agent).PostAsync($"/cases/{id}/{path}", Json(body), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest,
                $"seed {seed}, step {step}: {path} {body} on {id} answered {(int)response.StatusCode}: {text}");
            if ((await LoadAsync(id)).State.Status.IsFinal())
            {
                final.Add(id);
            }

            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                var state = (OpenedCase)(await LoadAsync(id)).State;
                var detail = JsonNode.Parse(text)!["detail"]!.GetValue<string>();
                Assert.True(detail.Contains(state.Number.Value, StringComparison.Ordinal) && detail.Contains(state.Status.ToString(), StringComparison.Ordinal),
                    $"seed {seed}, step {step}: {path} {body} on a {state.Status} case: the refusal does not name the case and its status: {detail}");
            }
        }

        await server.WaitForProjectionsAsync();
        var store = server.Services.GetRequiredService<EventCaseDatabase>().Store;
        foreach (var id in cases)
        {
            await AssertReadModelsAgreeAsync(id, $"seed {seed}, case {id}");

            // Every projection's row and entries of the case, built event by event (appends, daemon steps), are what a
            // fold of the case's events from nothing gives.
            var refolded = await store.Projections.RebuildStreamAsync(
                EventCase.Cases.Handling.CaseStreams.For(AgencyId.From(AgencyA), CaseId.From(id)), new() { DryRun = true }, Ct);
            Assert.Equal(6, refolded.Count);
            Assert.All(refolded, r => Assert.False(r.Changed, $"seed {seed}, case {id}: {r.Projection}'s rows differ from a fold of the case's events ({r})"));
        }

        var live = await DumpAsync();
        var projections = server.Services.GetRequiredService<EventCaseDatabase>().Store.Projections;
        var requestedAt = DateTime.UtcNow.AddSeconds(-1);
        foreach (var name in ReadModelTables)
        {
            await projections.RequestRebuildAsync(name, Ct);
        }

        await WaitForRebuildsAsync(requestedAt);
        var rebuilt = await DumpAsync();
        foreach (var name in ReadModelTables)
        {
            Assert.Equal(live[name], rebuilt[name]);
        }
    }

    private static (string Path, string Body, bool SupervisorOnly) RandomCommand(Random random, string other)
    {
        string Pick(string[] values) => values[random.Next(values.Length)];
        // Commands that end a case are drawn less often, so that most cases live through many commands.
        var draw = random.Next(100);
        return (draw < 92 ? draw % 15 : 15 + ((draw - 92) / 2)) switch
        {
            0 or 14 => ("assign", random.Next(2) == 0 ? $$"""{"team":"{{Pick(Teams)}}"}""" : $$"""{"team":"{{Pick(Teams)}}","agent":"{{Pick(Agents)}}"}""", false),
            1 => ("unassign", "{}", false),
            2 => ("start-work", "{}", false),
            3 => ("request-information", """{"question":"Which side of the street?"}""", false),
            4 => ("information-received", """{"response":"The north side"}""", false),
            5 => ("notes", """{"text":"Checked","visibility":"public"}""", false),
            6 => ("contacts", """{"direction":"inbound","channel":"phone","summary":"Called"}""", false),
            7 => ("escalate", $$"""{"toLevel":{{random.Next(1, 4)}},"reason":"Slow"}""", false),
            8 => ("deescalate", $$"""{"toLevel":{{random.Next(0, 3)}},"reason":"Better"}""", true),
            9 => ("priority", $$"""{"to":"{{Pick(Priorities)}}"}""", false),
            10 => ("resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""", false),
            11 => ("reopen", """{"reason":"Still there"}""", false),
            12 => (random.Next(2) == 0 ? "link-parent" : "link-child", $$"""{"caseId":"{{other}}"}""", false),
            13 => ("feedback", $$"""{"satisfaction":{{random.Next(1, 6)}}}""", false),
            15 => ("transfer", """{"toAgency":"other-town","reason":"Their road"}""", true),
            16 => ("close", "{}", false),
            17 => ("cancel", """{"reason":"Withdrawn"}""", false),
            _ => ("mark-duplicate", $$"""{"originalCaseId":"{{other}}"}""", false),
        };
    }

    private Task<EventCase.Cases.Handling.LoadedCase> LoadAsync(string id) =>
        server.Services.GetRequiredService<EventCaseDatabase>().CreateHandler().LoadAsync(AgencyId.From(AgencyA), CaseId.From(id), Ct);

    private async Task AssertReadModelsAgreeAsync(string id, string because)
    {
        var database = server.Services.GetRequiredService<EventCaseDatabase>();
        var calendars = server.Services.GetRequiredService<CalendarCache>().HistoryFor(AgencyA);
        var loaded = await LoadAsync(id);
        var state = Assert.IsType<OpenedCase>(loaded.State);
        var events = loaded.Events.Select(e => (CaseEvent)e.Data).ToList();
        var timeline = SlaTimeline.FromHistory(events);
        var atLastEvent = SlaClock.Compute(state.Sla, calendars, timeline, events[^1].At);
        var now = server.Clock.GetCurrentInstant();

        var summary = await new CaseSummaryQueries(database.Store).GetAsync(AgencyA, id, Ct);
        Assert.NotNull(summary);
        Assert.Equal(
            (state.Status, state.Priority, state.EscalationLevel, state.Assignment?.Team.Value, state.Assignment?.Agent?.Value, state.ReopenCount,
                state.Resolution?.At, state.TransferredTo?.Value, state.DuplicateOf?.Value, loaded.Version, state.LastChangedAt),
            (summary.Status, summary.Priority, summary.EscalationLevel, summary.Team, summary.Assignee, summary.ReopenCount,
                summary.ResolvedAt, summary.TransferredTo, summary.DuplicateOf, summary.Version, summary.UpdatedAt));
        Assert.True(Same(timeline, summary.Sla.ToTimeline()), $"{because}: the summary's SLA timeline differs from the events'");
        Assert.Equal((atLastEvent.Due, atLastEvent.BreachedAt), (summary.SlaDue, summary.SlaBreachedAt));

        var queue = await new WorkQueueQueries(database.Store).PageAsync(AgencyA, WorkQueueScope.Agency, null, now, 1000, cancellationToken: Ct);
        var item = queue.Items.SingleOrDefault(i => i.CaseId == id);
        Assert.True(state.Status.IsActive() == item is not null, $"{because}: a {state.Status} case is {(item is null ? "not " : string.Empty)}in the queue");
        if (item is not null)
        {
            var nowClock = SlaClock.Compute(state.Sla, calendars, timeline, now);
            Assert.Equal(
                (state.Status, state.Assignment?.Team.Value, state.Assignment?.Agent?.Value, state.Priority, state.EscalationLevel, atLastEvent.Due, nowClock.BreachedAt is not null),
                (item.Status, item.Team, item.Assignee, item.Priority, item.EscalationLevel, item.SlaDue, item.SlaBreached));
        }

        var clock = await new SlaClockQueries(database.Store, server.Services.GetRequiredService<CalendarCache>()).GetAsync(AgencyA, id, now, Ct);
        Assert.NotNull(clock);
        var expectedClock = SlaClock.Compute(state.Sla, calendars, timeline, now);
        Assert.Equal((expectedClock.Due, expectedClock.BreachedAt, expectedClock.IsPaused, timeline.StoppedAt), (clock.Due, clock.BreachedAt, clock.IsPaused, clock.StoppedAt));
        Assert.Equal(timeline.Pauses, clock.Pauses);

        await using var facts = database.DataSource.CreateCommand(
            "SELECT status, reopen_count, first_resolved_at IS NOT NULL, satisfaction FROM eventcase.case_facts WHERE tenant_id = $1 AND row_key = $2");
        facts.Parameters.AddWithValue(AgencyA);
        facts.Parameters.AddWithValue(id);
        await using var reader = await facts.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct), $"{because}: no case facts");
        var everResolved = events.OfType<EventCase.Cases.Resolving.CaseResolved>().Any();
        var lastFeedback = events.OfType<EventCase.Cases.RecordingFeedback.FeedbackRecorded>().LastOrDefault()?.Satisfaction;
        Assert.Equal(
            (System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(state.Status.ToString()), state.ReopenCount, everResolved, lastFeedback),
            (reader.GetString(0), reader.GetInt32(1), reader.GetBoolean(2), reader.IsDBNull(3) ? (int?)null : reader.GetInt32(3)));
    }

    private static bool Same(SlaTimeline a, SlaTimeline b) => a.Started == b.Started && a.StoppedAt == b.StoppedAt && a.Pauses.SequenceEqual(b.Pauses);

    private static readonly string[] ReadModelTables =
        [CaseSummaryProjection.ProjectionName, WorkQueueProjection.ProjectionName, SlaClockProjection.ProjectionName, "audit_trail", "case_facts"];

    /// <summary>Each read model's rows of the fixture's agency, as text, in key order.</summary>
    private async Task<Dictionary<string, List<string>>> DumpAsync()
    {
        var database = server.Services.GetRequiredService<EventCaseDatabase>();
        var tables = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var name in ReadModelTables)
        {
            await using var command = database.DataSource.CreateCommand(
                $"SELECT row_key || ' ' || row_data::text FROM eventcase.{name} WHERE tenant_id = $1 ORDER BY row_key");
            command.Parameters.AddWithValue(AgencyA);
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(reader.GetString(0));
            }

            tables[name] = rows;
        }

        return tables;
    }

    /// <summary>Waits until each read model was rebuilt (a rebuild started after <paramref name="requestedAt"/>) and caught up.</summary>
    private async Task WaitForRebuildsAsync(DateTime requestedAt)
    {
        var database = server.Services.GetRequiredService<EventCaseDatabase>();
        for (var i = 0; i < 600; i++)
        {
            await Task.Delay(100, Ct);
            await using var command = database.DataSource.CreateCommand(
                "SELECT count(*) FROM eventcase.projections WHERE name = ANY($1) AND (rebuild_requested_at IS NOT NULL OR rebuild_started_at IS NULL OR rebuild_started_at < $2 OR state <> 'running' OR NOT built)");
            command.Parameters.AddWithValue(ReadModelTables);
            command.Parameters.AddWithValue(requestedAt);
            if ((long)(await command.ExecuteScalarAsync(Ct))! == 0)
            {
                await server.WaitForProjectionsAsync();
                return;
            }
        }

        throw new TimeoutException("The rebuilds did not finish.");
    }}

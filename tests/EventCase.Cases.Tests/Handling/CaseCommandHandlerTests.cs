using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.StartingWork;
using EventCase.EventStore;
using EventCase.Testing;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

public sealed class CaseCommandHandlerTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Opening_a_case_draws_a_number_and_appends_the_opened_event_at_version_one()
    {
        var agency = NewAgency();
        var caseId = NewCaseId();

        var result = await Handler().OpenCaseAsync(Agent(agency), caseId, Series(agency), OpenFor(caseId, agency), Ct);

        var accepted = Assert.IsType<CaseCommandResult.Accepted>(result);
        Assert.Equal(1, accepted.Version);
        var opened = Assert.IsType<OpenedCase>(accepted.State);
        Assert.Equal("BOS-2026-000001", opened.Number.Value);
        Assert.Equal(agency, opened.Agency);
        var stored = Assert.Single(await ReadAsync(agency, caseId));
        Assert.IsType<CaseOpened>(stored.Data);
        Assert.Equal(CaseStreams.StreamType, (await Store.GetStreamInfoAsync(CaseStreams.For(agency, caseId), Ct))!.StreamType);
    }

    [Fact]
    public async Task A_case_goes_through_its_whole_lifecycle_with_each_command_appended_at_the_next_version()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        CaseCommand[] commands =
        [
            new AssignCase(caseId, new Assignment(Streets, Alice), Later(1)),
            new EscalateCase(caseId, 1, "Near a school", Later(2)),
            new StartWork(caseId, Later(3)),
            new RequestInformation(caseId, "Which side of the street?", Channel.Phone, Later(4)),
            new RecordInformationReceived(caseId, "North side", Channel.Phone, Later(5)),
            new AddNote(caseId, NoteVisibility.Internal, "Crew scheduled", Later(6)),
            new ResolveCase(caseId, "repaired", "We filled the pothole.", Later(7)),
            new RecordFeedback(caseId, 5, "Quick work", Later(8)),
            new CloseCase(caseId, Later(9)),
        ];

        var version = 1L;
        foreach (var command in commands)
        {
            var accepted = Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(command, Agent(agency), Ct));
            Assert.Equal(++version, accepted.Version);
            Assert.Single(accepted.Events);
        }

        var events = await ReadAsync(agency, caseId);
        Assert.Equal(10, AssertContiguous(events));
        var loaded = await handler.LoadAsync(agency, caseId, Ct);
        Assert.Equal(CaseStatus.Closed, loaded.State.Status);
        Assert.Equal(5, ((OpenedCase)loaded.State).Satisfaction);
        Assert.Equal(10, loaded.Version);
    }

    [Fact]
    public async Task A_rejected_command_appends_nothing_and_says_why()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);

        var result = await handler.HandleAsync(new CloseCase(caseId, Later(1)), Agent(agency), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(result);
        Assert.Equal("case.invalid-status", rejected.Rejection.Code);
        Assert.Equal(1, rejected.Version);
        Assert.Single(await ReadAsync(agency, caseId));
    }

    [Fact]
    public async Task A_command_on_a_case_that_does_not_exist_is_rejected_as_not_found()
    {
        var agency = NewAgency();

        var result = await Handler().HandleAsync(new StartWork(NewCaseId(), Later(1)), Agent(agency), Ct);

        Assert.Equal("case.not-found", Assert.IsType<CaseCommandResult.Rejected>(result).Rejection.Code);
    }

    [Fact]
    public async Task A_command_that_changes_nothing_is_accepted_without_events_at_the_same_version()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        var assign = new AssignCase(caseId, new Assignment(Streets), Later(1));
        await handler.HandleAsync(assign, Agent(agency), Ct);

        var again = Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(assign with { Now = Later(2) }, Agent(agency), Ct));

        Assert.True(again.IsNoOp);
        Assert.Equal(2, again.Version);
        Assert.Equal(2, (await ReadAsync(agency, caseId)).Count);
    }

    [Fact]
    public async Task Every_event_carries_the_actor_role_correlation_causation_channel_reason_and_command()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = NewCaseId();
        var context = new CommandContext(agency, "agent-42", "supervisor", "corr-123", "phone", "Citizen called twice")
        {
            CausationId = "msg-9",
        };
        await handler.OpenCaseAsync(context, caseId, Series(agency), number => OpenFor(caseId, agency)(number) with { RoutedTo = Streets }, Ct);
        await handler.HandleAsync(new EscalateCase(caseId, 2, "Second complaint", Later(1)), Agent(agency, "agent-8"), Ct);

        var events = await ReadAsync(agency, caseId);

        Assert.Equal(3, events.Count);
        Assert.All(events.Take(2), e =>
        {
            Assert.Equal("agent-42", e.Metadata.ActorId);
            Assert.Equal("supervisor", e.Metadata.ActorRole);
            Assert.Equal("corr-123", e.Metadata.CorrelationId);
            Assert.Equal("msg-9", e.Metadata.CausationId);
            Assert.Equal("phone", e.Metadata.Channel);
            Assert.Equal("Citizen called twice", e.Metadata.Reason);
            Assert.Equal("Open", e.Metadata.Extra!["command"]);
        });
        var escalated = events[2].Metadata;
        Assert.Equal("agent-8", escalated.ActorId);
        Assert.Equal(escalated.CorrelationId, escalated.CausationId);
        Assert.Null(escalated.Reason);
        Assert.Equal("Escalate", escalated.Extra!["command"]);
    }

    [Fact]
    public async Task An_if_match_on_another_version_fails_the_precondition_with_the_current_version_and_appends_nothing()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        await handler.HandleAsync(new AssignCase(caseId, new Assignment(Streets), Later(1)), Agent(agency), Ct);

        var stale = await handler.HandleAsync(new StartWork(caseId, Later(2)), Agent(agency) with { ExpectedVersion = 1 }, Ct);
        var current = await handler.HandleAsync(new StartWork(caseId, Later(2)), Agent(agency) with { ExpectedVersion = 2 }, Ct);

        Assert.Equal(new CaseCommandResult.PreconditionFailed(1, 2), stale);
        Assert.Equal(3, Assert.IsType<CaseCommandResult.Accepted>(current).Version);
        Assert.Equal(3, (await ReadAsync(agency, caseId)).Count);
    }

    [Fact]
    public async Task An_if_match_that_loses_a_race_fails_the_precondition_instead_of_retrying()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        var sneaky = Handler();
        var handler = Handler(new CaseCommandHandlerOptions
        {
            BeforeAppend = async (_, _, ct) => await sneaky.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, "Meanwhile", Later(1)), Agent(agency), ct),
        });

        var result = await handler.HandleAsync(new EscalateCase(caseId, 1, "Urgent", Later(2)), Agent(agency) with { ExpectedVersion = 1 }, Ct);

        Assert.Equal(new CaseCommandResult.PreconditionFailed(1, 2) { Attempts = 1 }, result);
        Assert.IsType<NoteAdded>(Assert.Single((await ReadAsync(agency, caseId)).Skip(1)).Data);
    }

    [Fact]
    public async Task Sending_a_command_again_with_the_same_idempotency_key_appends_nothing_and_answers_with_the_same_version()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        var context = Agent(agency) with { IdempotencyKey = "req-1" };
        var escalate = new EscalateCase(caseId, 2, "Second complaint", Later(1));

        var first = Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(escalate, context, Ct));
        await handler.HandleAsync(new AddNote(caseId, NoteVisibility.Public, "Crew on the way", Later(2)), Agent(agency), Ct);
        var retry = await handler.HandleAsync(escalate, context with { ExpectedVersion = 1 }, Ct);

        var applied = Assert.IsType<CaseCommandResult.AlreadyApplied>(retry);
        Assert.Equal(first.Version, applied.Version);
        Assert.Equal(3, applied.CurrentVersion);
        Assert.IsType<CaseEscalated>(Assert.Single(applied.Events));
        var events = await ReadAsync(agency, caseId);
        Assert.Single(events, e => e.Data is CaseEscalated);
        Assert.Equal(CaseEventIds.ForIdempotencyKey(CaseStreams.For(agency, caseId), "req-1", 0), events[1].EventId);
        Assert.Equal("req-1", events[1].Metadata.Extra!["idempotencyKey"]);
    }

    [Fact]
    public async Task An_idempotency_key_is_its_senders_and_its_requests_another_actor_command_or_content_is_refused_and_appends_nothing()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        var context = Agent(agency) with { IdempotencyKey = "shared", RequestFingerprint = "note-a" };
        var note = new AddNote(caseId, NoteVisibility.Internal, "Only for staff", Later(1));
        Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(note, context, Ct));

        var otherActor = await handler.HandleAsync(note, new CommandContext(agency, "citizen-9", "citizen", "corr-9", "api") { IdempotencyKey = "shared", RequestFingerprint = "note-a" }, Ct);
        var otherCommand = await handler.HandleAsync(new EscalateCase(caseId, 1, "Loud", Later(2)), context with { RequestFingerprint = "escalate-a" }, Ct);
        var otherContent = await handler.HandleAsync(note with { Text = "Other words" }, context with { RequestFingerprint = "note-b" }, Ct);
        var sameWithoutFingerprint = await handler.HandleAsync(note, context with { RequestFingerprint = null }, Ct);

        Assert.Equal(new CaseCommandResult.IdempotencyKeyReused("another actor"), otherActor);
        Assert.Equal(new CaseCommandResult.IdempotencyKeyReused("another command"), otherCommand);
        Assert.Equal(new CaseCommandResult.IdempotencyKeyReused("other content"), otherContent);
        // A caller that gives no fingerprint (a library user) is judged by actor and command alone.
        Assert.IsType<CaseCommandResult.AlreadyApplied>(sameWithoutFingerprint);
        var events = await ReadAsync(agency, caseId);
        Assert.Equal(2, events.Count);
        Assert.Equal("note-a", events[1].Metadata.Extra!["requestFingerprint"]);
    }

    [Fact]
    public async Task The_same_idempotency_key_sent_twice_at_once_appends_once()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };
        var context = Agent(agency) with { IdempotencyKey = "double-click" };
        var note = new AddNote(caseId, NoteVisibility.Public, "We are on it", Later(1));

        var results = await Task.WhenAll(Handler(options).HandleAsync(note, context, Ct), Handler(options).HandleAsync(note, context, Ct));

        Assert.Single(results, r => r is CaseCommandResult.Accepted);
        Assert.Single(results, r => r is CaseCommandResult.AlreadyApplied { Version: 2 });
        Assert.Equal(2, AssertContiguous(await ReadAsync(agency, caseId)));
    }

    [Fact]
    public async Task Without_an_idempotency_key_the_same_command_twice_is_two_commands()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        var note = new AddNote(caseId, NoteVisibility.Public, "We are on it", Later(1));

        await handler.HandleAsync(note, Agent(agency), Ct);
        await handler.HandleAsync(note, Agent(agency), Ct);

        Assert.Equal(2, (await ReadAsync(agency, caseId)).Count(e => e.Data is NoteAdded));
    }

    [Fact]
    public async Task Opening_again_with_the_same_idempotency_key_draws_no_new_number()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = NewCaseId();
        var context = Agent(agency) with { IdempotencyKey = "open-1" };

        var first = await handler.OpenCaseAsync(context, caseId, Series(agency), OpenFor(caseId, agency), Ct);
        var retry = await handler.OpenCaseAsync(context, caseId, Series(agency), OpenFor(caseId, agency), Ct);
        var otherCase = NewCaseId();
        var next = await handler.OpenCaseAsync(Agent(agency), otherCase, Series(agency), OpenFor(otherCase, agency), Ct);

        Assert.IsType<CaseCommandResult.Accepted>(first);
        Assert.Equal(1, Assert.IsType<CaseCommandResult.AlreadyApplied>(retry).Version);
        Assert.Equal("BOS-2026-000002", ((OpenedCase)((CaseCommandResult.Accepted)next).State).Number.Value);
    }

    [Fact]
    public async Task Opening_a_case_id_that_exists_is_rejected_without_drawing_a_number()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);

        var again = await handler.OpenCaseAsync(Agent(agency), caseId, Series(agency), OpenFor(caseId, agency), Ct);
        var other = NewCaseId();
        var next = await handler.OpenCaseAsync(Agent(agency), other, Series(agency), OpenFor(other, agency), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(again);
        Assert.Equal("case.already-opened", rejected.Rejection.Code);
        Assert.Contains("BOS-2026-000001", rejected.Rejection.Message, StringComparison.Ordinal);
        Assert.Equal("BOS-2026-000002", ((OpenedCase)((CaseCommandResult.Accepted)next).State).Number.Value);
    }

    [Fact]
    public async Task An_open_under_a_freshly_minted_id_numbers_and_stores_the_case()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = NewCaseId();

        var result = await handler.OpenMintedCaseAsync(Agent(agency), caseId, Series(agency), OpenFor(caseId, agency), Ct);

        var accepted = Assert.IsType<CaseCommandResult.Accepted>(result);
        Assert.Equal(1, accepted.Version);
        Assert.Equal("BOS-2026-000001", ((OpenedCase)accepted.State).Number.Value);
        Assert.Single(await ReadAsync(agency, caseId));
    }

    [Fact]
    public async Task An_open_under_a_minted_id_that_exists_after_all_is_decided_again_on_the_stored_case_and_rejected()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);

        var again = await handler.OpenMintedCaseAsync(Agent(agency), caseId, Series(agency), OpenFor(caseId, agency), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(again);
        Assert.Equal("case.already-opened", rejected.Rejection.Code);
        Assert.Equal(2, again.Attempts);
        Assert.Single(await ReadAsync(agency, caseId));
    }

    [Fact]
    public async Task An_open_under_a_minted_id_with_an_idempotency_key_still_reads_the_stream_and_answers_a_retry_as_applied()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = NewCaseId();
        var context = Agent(agency) with { IdempotencyKey = "minted-1" };

        await handler.OpenMintedCaseAsync(context, caseId, Series(agency), OpenFor(caseId, agency), Ct);
        var retry = await handler.OpenMintedCaseAsync(context, caseId, Series(agency), OpenFor(caseId, agency), Ct);

        Assert.Equal(1, Assert.IsType<CaseCommandResult.AlreadyApplied>(retry).Version);
        Assert.Single(await ReadAsync(agency, caseId));
    }

    [Fact]
    public async Task A_caller_of_another_agency_cannot_see_or_change_a_case()
    {
        var boston = NewAgency();
        var cambridge = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(boston, handler);

        var assign = await handler.HandleAsync(new AssignCase(caseId, new Assignment(Streets), Later(1)), Agent(cambridge), Ct);
        var cancel = await handler.HandleAsync(new CancelCase(caseId, "Not ours", Later(1)), Agent(cambridge), Ct);
        var loaded = await handler.LoadAsync(cambridge, caseId, Ct);

        Assert.Equal("case.not-found", Assert.IsType<CaseCommandResult.Rejected>(assign).Rejection.Code);
        Assert.Equal("case.not-found", Assert.IsType<CaseCommandResult.Rejected>(cancel).Rejection.Code);
        Assert.Equal(0, loaded.Version);
        Assert.Single(await ReadAsync(boston, caseId));
    }

    [Fact]
    public async Task A_caller_cannot_open_a_case_for_another_agency()
    {
        var boston = NewAgency();
        var cambridge = NewAgency();
        var caseId = NewCaseId();
        var open = OpenFor(caseId, boston)(CaseNumber.Parse("BOS-2026-000500"));

        var result = await Handler().HandleAsync(open, Agent(cambridge), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(result);
        Assert.Equal("case.invalid-input", rejected.Rejection.Code);
        Assert.Empty(await ReadAsync(boston, caseId));
        Assert.Empty(await ReadAsync(cambridge, caseId));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Handler().OpenCaseAsync(Agent(cambridge), caseId, Series(boston), OpenFor(caseId, boston), Ct));
    }

    [Fact]
    public async Task Two_handlers_racing_with_compatible_commands_both_succeed_one_after_re_deciding()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };

        var results = await Task.WhenAll(
            Handler(options).HandleAsync(new AssignCase(caseId, new Assignment(Streets, Alice), Later(1)), Agent(agency, "dispatcher"), Ct),
            Handler(options).HandleAsync(new EscalateCase(caseId, 1, "Near a school", Later(1)), Agent(agency, "supervisor"), Ct));

        var accepted = results.Select(r => Assert.IsType<CaseCommandResult.Accepted>(r)).ToArray();
        Assert.Equal([1, 2], accepted.Select(a => a.Attempts).Order());
        Assert.Equal([2L, 3L], accepted.Select(a => a.Version).Order());
        var events = await ReadAsync(agency, caseId);
        Assert.Equal(3, AssertContiguous(events));
        var state = (OpenedCase)CaseState.Fold(events.Select(e => (CaseEvent)e.Data));
        Assert.Equal(CaseStatus.Assigned, state.Status);
        Assert.Equal(1, state.EscalationLevel);
        Assert.Equal(state, accepted.Single(a => a.Version == 3).State);
    }

    [Fact]
    public async Task Two_handlers_racing_with_conflicting_commands_leave_one_applied_and_the_other_rejected_by_the_rules()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };

        var results = await Task.WhenAll(
            Handler(options).HandleAsync(new EscalateCase(caseId, 2, "Second complaint", Later(1)), Agent(agency, "a"), Ct),
            Handler(options).HandleAsync(new EscalateCase(caseId, 2, "Council member asked", Later(1)), Agent(agency, "b"), Ct));

        Assert.Single(results, r => r is CaseCommandResult.Accepted { Version: 2, Attempts: 1 });
        var rejected = Assert.IsType<CaseCommandResult.Rejected>(Assert.Single(results, r => r is CaseCommandResult.Rejected));
        Assert.Equal("case.invalid-escalation-level", rejected.Rejection.Code);
        Assert.Equal(2, rejected.Attempts);
        Assert.Equal(2, rejected.Version);
        var events = await ReadAsync(agency, caseId);
        Assert.Equal(2, AssertContiguous(events));
        Assert.Equal(0, Assert.IsType<CaseEscalated>(events[1].Data).FromLevel);
    }

    [Fact]
    public async Task Resolving_and_cancelling_at_once_ends_in_exactly_one_final_outcome()
    {
        var agency = NewAgency();
        var handler = Handler();
        var caseId = await OpenCaseAsync(agency, handler);
        await handler.HandleAsync(new AssignCase(caseId, new Assignment(Streets), Later(1)), Agent(agency), Ct);
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };

        var results = await Task.WhenAll(
            Handler(options).HandleAsync(new ResolveCase(caseId, "repaired", "Filled", Later(2)), Agent(agency), Ct),
            Handler(options).HandleAsync(new CancelCase(caseId, "Withdrawn", Later(2)), Agent(agency), Ct));

        Assert.Single(results, r => r is CaseCommandResult.Accepted);
        Assert.Equal("case.invalid-status", Assert.IsType<CaseCommandResult.Rejected>(Assert.Single(results, r => r is CaseCommandResult.Rejected)).Rejection.Code);
        Assert.Equal(3, AssertContiguous(await ReadAsync(agency, caseId)));
    }

    [Fact]
    public async Task A_writer_that_always_gets_there_first_exhausts_the_retries_into_a_concurrency_conflict()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        var other = Handler();
        var attempts = 0;
        var handler = Handler(new CaseCommandHandlerOptions
        {
            MaxConcurrencyRetries = 2,
            BeforeAppend = async (_, attempt, ct) =>
            {
                attempts = attempt;
                await other.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, "Interleaved", Later(attempt)), Agent(agency), ct);
            },
        });

        var result = await handler.HandleAsync(new EscalateCase(caseId, 1, "Urgent", Later(9)), Agent(agency), Ct);

        Assert.Equal(new CaseCommandResult.ConcurrencyConflict(4) { Attempts = 3 }, result);
        Assert.Equal(3, attempts);
        var events = await ReadAsync(agency, caseId);
        Assert.Equal(4, AssertContiguous(events));
        Assert.DoesNotContain(events, e => e.Data is CaseEscalated);
    }

    [Fact]
    public async Task Many_concurrent_commands_on_many_cases_are_all_applied_without_lost_updates()
    {
        var agency = NewAgency();
        var handler = Handler(new CaseCommandHandlerOptions { MaxConcurrencyRetries = 100 });
        var cases = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => OpenCaseAsync(agency, handler)));
        const int perCase = 8;

        var results = await Task.WhenAll(cases.SelectMany(caseId => Enumerable.Range(0, perCase).Select(i => Task.Run(() =>
            handler.HandleAsync(new AddNote(caseId, NoteVisibility.Internal, $"note {i}", Later(i)), Agent(agency, $"agent-{i}"), Ct), Ct))));

        Assert.All(results, r => Assert.IsType<CaseCommandResult.Accepted>(r));
        foreach (var caseId in cases)
        {
            var events = await ReadAsync(agency, caseId);
            Assert.Equal(1 + perCase, AssertContiguous(events));
            Assert.Equal(
                Enumerable.Range(0, perCase).Select(i => $"note {i}").Order(StringComparer.Ordinal),
                events.Skip(1).Select(e => ((NoteAdded)e.Data).Text).Order(StringComparer.Ordinal));
        }
    }
}

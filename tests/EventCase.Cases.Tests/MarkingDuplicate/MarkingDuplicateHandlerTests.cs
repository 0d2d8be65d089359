using EventCase.Cases.Cancelling;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Tests.Handling;
using EventCase.Testing;

namespace EventCase.Cases.Tests.MarkingDuplicate;

/// <summary>
/// Merges through the handler against PostgreSQL: both cases recorded in one append, decided on what each case is when
/// it is written, so no race leaves a request merged into a case that does not carry it on (decision 0021).
/// </summary>
public sealed class MarkingDuplicateHandlerTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    private const int Rounds = 15;

    [Fact]
    public async Task A_merge_records_the_duplicate_and_the_original_in_one_transaction_moving_the_original_by_one_version()
    {
        var agency = NewAgency();
        var original = await OpenCaseAsync(agency);
        var duplicate = await OpenCaseAsync(agency);
        var originalBefore = await ReadAsync(agency, original);

        var result = await Handler().HandleAsync(new MarkDuplicate(duplicate, original, null, Later(1)), Agent(agency), Ct);

        var accepted = Assert.IsType<CaseCommandResult.Accepted>(result);
        var originalNumber = ((OpenedCase)CaseState.Fold(originalBefore.Select(e => (CaseEvent)e.Data))).Number;
        Assert.Equal(new CaseMarkedDuplicate(duplicate, original, originalNumber, Later(1)), Assert.Single(accepted.Events));
        var duplicateEvents = await ReadAsync(agency, duplicate);
        var originalEvents = await ReadAsync(agency, original);
        Assert.Equal(originalBefore.Count + 1, originalEvents.Count);
        Assert.Equal(originalBefore[^1].StreamVersion + 1, originalEvents[^1].StreamVersion);
        var merged = Assert.IsType<DuplicateCaseMerged>(originalEvents[^1].Data);
        var duplicateNumber = ((OpenedCase)accepted.State).Number;
        Assert.Equal(new DuplicateCaseMerged(original, duplicate, duplicateNumber, Later(1)), merged);
        Assert.Equal(duplicateEvents[^1].TransactionId, originalEvents[^1].TransactionId);
        Assert.Equal("MarkDuplicate", originalEvents[^1].Metadata.Extra!["command"]);
        var originalState = (OpenedCase)CaseState.Fold(originalEvents.Select(e => (CaseEvent)e.Data));
        Assert.Equal(CaseStatus.Open, originalState.Status);
        Assert.Equal([duplicate], originalState.Duplicates);
    }

    [Fact]
    public async Task Two_cases_marked_duplicates_of_each_other_at_once_leave_exactly_one_carrying_on_in_every_round()
    {
        var agency = NewAgency();
        for (var round = 0; round < Rounds; round++)
        {
            var a = await OpenCaseAsync(agency);
            var b = await OpenCaseAsync(agency);
            // Both decide on two open cases before either appends: the race the caller's own lookup used to lose.
            using var bothDecided = new Barrier(2);
            var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };

            var results = await Task.WhenAll(
                Handler(options).HandleAsync(new MarkDuplicate(a, b, null, Later(1)), Agent(agency), Ct),
                Handler(options).HandleAsync(new MarkDuplicate(b, a, null, Later(1)), Agent(agency), Ct));

            Assert.Single(results, r => r is CaseCommandResult.Accepted);
            var rejected = Assert.IsType<CaseCommandResult.Rejected>(Assert.Single(results, r => r is CaseCommandResult.Rejected));
            var refusal = Assert.IsType<InvalidCaseLink>(rejected.Rejection);
            Assert.Equal(CaseLinkProblem.OriginalDoesNotCarryOn, refusal.Problem);
            Assert.Contains("is Duplicate", refusal.Message, StringComparison.Ordinal);
            var states = new[] { await StateAsync(agency, a), await StateAsync(agency, b) };
            var carrying = Assert.Single(states, s => s.Status != CaseStatus.Duplicate);
            var merged = Assert.Single(states, s => s.Status == CaseStatus.Duplicate);
            Assert.Equal(carrying.Id, merged.DuplicateOf);
            Assert.Equal([merged.Id], carrying.Duplicates);
        }
    }

    [Fact]
    public async Task Cases_merged_into_each_other_by_many_writers_at_once_never_all_stop_carrying_on()
    {
        var agency = NewAgency();
        for (var round = 0; round < Rounds; round++)
        {
            CaseId[] cases = [await OpenCaseAsync(agency), await OpenCaseAsync(agency), await OpenCaseAsync(agency)];
            var merges = from d in cases from o in cases where d != o select Handler().HandleAsync(new MarkDuplicate(d, o, null, Later(1)), Agent(agency), Ct);

            var results = await Task.WhenAll(merges);

            Assert.All(results, r => Assert.True(r is CaseCommandResult.Accepted or CaseCommandResult.Rejected, $"{r}"));
            var states = new List<OpenedCase>();
            foreach (var id in cases)
            {
                states.Add(await StateAsync(agency, id));
            }

            // Every duplicate is merged into a case that carries on and lists it; at least one case carries on.
            Assert.Contains(states, s => s.Status != CaseStatus.Duplicate);
            foreach (var duplicate in states.Where(s => s.Status == CaseStatus.Duplicate))
            {
                var original = states.Single(s => s.Id == duplicate.DuplicateOf);
                Assert.NotEqual(CaseStatus.Duplicate, original.Status);
                Assert.Contains(duplicate.Id, original.Duplicates);
            }
        }
    }

    [Fact]
    public async Task A_merge_racing_a_cancel_of_its_original_never_leaves_a_duplicate_of_a_cancelled_case()
    {
        var agency = NewAgency();
        var outcomes = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < Rounds; round++)
        {
            var original = await OpenCaseAsync(agency);
            var duplicate = await OpenCaseAsync(agency);
            using var bothDecided = new Barrier(2);
            var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };

            var results = await Task.WhenAll(
                Handler(options).HandleAsync(new MarkDuplicate(duplicate, original, null, Later(1)), Agent(agency), Ct),
                Handler(options).HandleAsync(new CancelCase(original, "Withdrawn", Later(1)), Agent(agency), Ct));

            var (merge, cancel) = (results[0], results[1]);
            Assert.Single(results, r => r is CaseCommandResult.Accepted);
            var originalState = await StateAsync(agency, original);
            var duplicateState = await StateAsync(agency, duplicate);
            if (merge is CaseCommandResult.Accepted)
            {
                // The cancel lost and decided again on an original that now carries a duplicate.
                Assert.Equal(CaseLinkProblem.HasDuplicates, Assert.IsType<InvalidCaseLink>(Assert.IsType<CaseCommandResult.Rejected>(cancel).Rejection).Problem);
                Assert.Equal((CaseStatus.Duplicate, CaseStatus.Open), (duplicateState.Status, originalState.Status));
                outcomes.Add("merged");
            }
            else
            {
                Assert.Equal(CaseLinkProblem.OriginalDoesNotCarryOn, Assert.IsType<InvalidCaseLink>(Assert.IsType<CaseCommandResult.Rejected>(merge).Rejection).Problem);
                Assert.Equal((CaseStatus.Open, CaseStatus.Cancelled), (duplicateState.Status, originalState.Status));
                Assert.Empty(originalState.Duplicates);
                outcomes.Add("cancelled");
            }
        }

        Assert.NotEmpty(outcomes);
    }

    [Fact]
    public async Task A_merge_sent_again_with_its_idempotency_key_appends_nothing_on_either_case()
    {
        var agency = NewAgency();
        var original = await OpenCaseAsync(agency);
        var duplicate = await OpenCaseAsync(agency);
        var handler = Handler();
        var context = Agent(agency) with { IdempotencyKey = "merge-1" };
        var mark = new MarkDuplicate(duplicate, original, null, Later(1));

        var first = Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(mark, context, Ct));
        var retry = Assert.IsType<CaseCommandResult.AlreadyApplied>(await handler.HandleAsync(mark, context, Ct));

        Assert.Equal(first.Version, retry.Version);
        Assert.Equal(first.Events, retry.Events);
        Assert.Single(await ReadAsync(agency, duplicate), e => e.Data is CaseMarkedDuplicate);
        Assert.Single(await ReadAsync(agency, original), e => e.Data is DuplicateCaseMerged);
    }

    [Fact]
    public async Task Copies_of_one_merge_sent_at_once_with_its_key_record_it_once_and_answer_the_same()
    {
        var agency = NewAgency();
        var original = await OpenCaseAsync(agency);
        var duplicate = await OpenCaseAsync(agency);
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };
        var context = Agent(agency) with { IdempotencyKey = "merge-2" };
        var mark = new MarkDuplicate(duplicate, original, null, Later(1));

        var results = await Task.WhenAll(Handler(options).HandleAsync(mark, context, Ct), Handler(options).HandleAsync(mark, context, Ct));

        Assert.Single(results, r => r is CaseCommandResult.Accepted);
        Assert.Single(results, r => r is CaseCommandResult.AlreadyApplied);
        Assert.Single(await ReadAsync(agency, duplicate), e => e.Data is CaseMarkedDuplicate);
        Assert.Single(await ReadAsync(agency, original), e => e.Data is DuplicateCaseMerged);
    }

    [Fact]
    public async Task One_key_used_to_merge_two_cases_into_the_same_original_records_both_on_the_original()
    {
        var agency = NewAgency();
        var original = await OpenCaseAsync(agency);
        var first = await OpenCaseAsync(agency);
        var second = await OpenCaseAsync(agency);
        var context = Agent(agency) with { IdempotencyKey = "same-key" };

        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new MarkDuplicate(first, original, null, Later(1)), context, Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new MarkDuplicate(second, original, null, Later(2)), context, Ct));

        Assert.Equal([first, second], (await StateAsync(agency, original)).Duplicates);
    }

    [Fact]
    public async Task A_merge_into_a_case_that_does_not_exist_or_is_another_agencys_is_rejected_naming_it_and_appends_nothing()
    {
        var agency = NewAgency();
        var other = NewAgency();
        var duplicate = await OpenCaseAsync(agency);
        var missing = NewCaseId();
        var elsewhere = await OpenCaseAsync(other);

        foreach (var original in new[] { missing, elsewhere })
        {
            var result = await Handler().HandleAsync(new MarkDuplicate(duplicate, original, null, Later(1)), Agent(agency), Ct);

            var rejected = Assert.IsType<CaseCommandResult.Rejected>(result);
            Assert.Equal(original.Value, Assert.IsType<CaseNotFound>(rejected.Rejection).CaseLabel);
        }

        Assert.Single(await ReadAsync(agency, duplicate));
        Assert.Single(await ReadAsync(other, elsewhere));
    }

    [Fact]
    public async Task The_originals_side_cannot_be_sent_on_its_own()
    {
        var agency = NewAgency();
        var original = await OpenCaseAsync(agency);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            Handler().HandleAsync(new MergeDuplicate(original, NewCaseId(), CaseNumber.Parse("BOS-2026-000001"), Later(1)), Agent(agency), Ct));
    }

    private async Task<OpenedCase> StateAsync(AgencyId agency, CaseId caseId) =>
        (OpenedCase)CaseState.Fold((await ReadAsync(agency, caseId)).Select(e => (CaseEvent)e.Data));
}

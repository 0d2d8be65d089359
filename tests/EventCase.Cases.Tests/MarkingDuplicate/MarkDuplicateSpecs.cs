using EventCase.Cases.Cancelling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.MarkingDuplicate;

public sealed class MarkDuplicateSpecs
{
    private static readonly CaseId DuplicateId = new("case-103");
    private static readonly CaseNumber DuplicateNumber = CaseNumber.Parse("BOS-2026-000103");

    /// <summary>An open case other than <see cref="Id"/>, to be merged into it.</summary>
    private static OpenedCase Duplicate(params CaseEvent[] later) =>
        (OpenedCase)CaseState.Fold([Opened() with { CaseId = DuplicateId, Number = DuplicateNumber }, .. later]);

    private static OpenedCase Original(CaseStatus status) => (OpenedCase)CaseState.Fold(HistoryFor(status));

    [Fact]
    public void Marking_a_case_as_a_duplicate_of_itself_is_rejected()
    {
        var rejection = Given(Opened()).When(new MarkDuplicate(Id, Id, Number, Now))
            .ThenRejected<InvalidCaseLink>("case BOS-2026-000102 is Open; MarkDuplicate needs another case, and a case cannot duplicate itself");

        Assert.Equal(CaseLinkProblem.SelfReference, rejection.Problem);
    }

    [Fact]
    public void Marking_a_duplicate_merges_it_into_the_original()
    {
        var original = new CaseId("case-77");
        var state = Given(Opened()).When(new MarkDuplicate(Id, original, null, Now))
            .Then(new CaseMarkedDuplicate(Id, original, null, Now));

        var duplicate = Assert.IsType<OpenedCase>(state);
        Assert.Equal(CaseStatus.Duplicate, duplicate.Status);
        Assert.Equal(original, duplicate.DuplicateOf);
    }

    [Theory]
    [InlineData(CaseStatus.Open)]
    [InlineData(CaseStatus.InProgress)]
    [InlineData(CaseStatus.AwaitingCitizen)]
    [InlineData(CaseStatus.Resolved)]
    [InlineData(CaseStatus.Closed)]
    public void A_merge_into_a_case_that_carries_on_is_recorded_on_both_cases_and_leaves_the_originals_status_as_it_was(CaseStatus status)
    {
        var original = Original(status);

        var decision = MarkingDuplicateRules.Decide(new MarkDuplicate(DuplicateId, Id, null, Now), Duplicate(), original);

        Assert.Null(decision.Rejection);
        Assert.Equal(new CaseEvent[] { new CaseMarkedDuplicate(DuplicateId, Id, Number, Now) }, decision.OnDuplicate);
        Assert.Equal(new CaseEvent[] { new DuplicateCaseMerged(Id, DuplicateId, DuplicateNumber, Now) }, decision.OnOriginal);
        var after = (OpenedCase)CaseDecider.Fold(original, decision.OnOriginal);
        Assert.Equal(status, after.Status);
        Assert.Equal([DuplicateId], after.Duplicates);
        Assert.Equal(original.Resolution, after.Resolution);
    }

    [Theory]
    [InlineData(CaseStatus.Duplicate)]
    [InlineData(CaseStatus.Cancelled)]
    [InlineData(CaseStatus.TransferredOut)]
    public void A_merge_into_a_case_that_does_not_carry_on_is_rejected_naming_that_case_and_its_status_and_records_nothing(CaseStatus status)
    {
        var decision = MarkingDuplicateRules.Decide(new MarkDuplicate(DuplicateId, Id, null, Now), Duplicate(), Original(status));

        var rejection = Assert.IsType<InvalidCaseLink>(decision.Rejection);
        Assert.Equal(
            $"case BOS-2026-000103 is Open; MarkDuplicate needs an original that carries on (open, Resolved or Closed), and case BOS-2026-000102 is {status}",
            rejection.Message);
        Assert.Equal(CaseLinkProblem.OriginalDoesNotCarryOn, rejection.Problem);
        Assert.Equal("case.original-does-not-carry-on", rejection.Code);
        Assert.Equal((DuplicateNumber.Value, CaseStatus.Open, "MarkDuplicate", Id), (rejection.CaseLabel, rejection.Status, rejection.Action, rejection.OtherCase));
        Assert.Empty(decision.OnDuplicate);
        Assert.Empty(decision.OnOriginal);
    }

    [Fact]
    public void A_duplicate_that_is_no_longer_open_is_refused_by_its_own_rules_before_the_original_is_asked()
    {
        var resolved = Duplicate(new CaseResolved(DuplicateId, "repaired", "Filled", At(1)));

        var decision = MarkingDuplicateRules.Decide(new MarkDuplicate(DuplicateId, Id, null, Now), resolved, Original(CaseStatus.Cancelled));

        var rejection = Assert.IsType<CommandNotAllowedInStatus>(decision.Rejection);
        Assert.Equal(
            "case BOS-2026-000103 is Resolved; MarkDuplicate needs an open case (Open, Assigned, InProgress or AwaitingCitizen)", rejection.Message);
    }

    [Fact]
    public void Two_cases_cannot_both_be_merged_into_each_other()
    {
        var first = Duplicate();
        var second = Original(CaseStatus.Open);
        var firstIntoSecond = MarkingDuplicateRules.Decide(new MarkDuplicate(DuplicateId, Id, null, Now), first, second);
        var firstAfter = (OpenedCase)CaseDecider.Fold(first, firstIntoSecond.OnDuplicate);
        var secondAfter = (OpenedCase)CaseDecider.Fold(second, firstIntoSecond.OnOriginal);

        var secondIntoFirst = MarkingDuplicateRules.Decide(new MarkDuplicate(Id, DuplicateId, null, Now), secondAfter, firstAfter);

        Assert.Equal(CaseLinkProblem.OriginalDoesNotCarryOn, Assert.IsType<InvalidCaseLink>(secondIntoFirst.Rejection).Problem);
    }

    [Fact]
    public void The_original_takes_in_a_duplicate_it_already_lists_without_recording_it_again()
    {
        Given(Opened(), DuplicateMerged()).When(new MergeDuplicate(Id, DuplicateMerged().DuplicateCaseId, DuplicateMerged().DuplicateNumber!, Now))
            .ThenNothingHappens();
    }

    [Fact]
    public void A_case_with_a_duplicate_merged_into_it_cannot_be_cancelled()
    {
        var rejection = Given(Opened(), DuplicateMerged()).When(new CancelCase(Id, "Withdrawn", Now))
            .ThenRejected<InvalidCaseLink>(
                "case BOS-2026-000102 is Open; Cancel needs a case no other case was merged into, and case case-78 was merged into it as a duplicate: resolve it instead, so that every request it carries is answered");

        Assert.Equal(CaseLinkProblem.HasDuplicates, rejection.Problem);
        Assert.Equal("case.has-duplicates", rejection.Code);
        Assert.Equal(new CaseId("case-78"), rejection.OtherCase);
    }

    [Fact]
    public void A_case_with_a_duplicate_merged_into_it_cannot_itself_be_merged_into_another()
    {
        var rejection = Given(Opened(), DuplicateMerged()).When(new MarkDuplicate(Id, new CaseId("case-77"), null, Now))
            .ThenRejected<InvalidCaseLink>(
                "case BOS-2026-000102 is Open; MarkDuplicate needs a case no other case was merged into, and case case-78 was merged into it as a duplicate: merge the other case into this one instead");

        Assert.Equal(CaseLinkProblem.HasDuplicates, rejection.Problem);
    }

    [Fact]
    public void A_case_with_duplicates_merged_into_it_can_still_be_resolved()
    {
        Given(Opened(), AssignedToStreets(), DuplicateMerged()).When(new ResolveCase(Id, "repaired", "Filled", Now))
            .Then(new CaseResolved(Id, "repaired", "Filled", Now));
    }

    [Fact]
    public void A_duplicate_merged_into_a_case_leaves_its_sla_clock_running()
    {
        CaseEvent[] history = [Opened(), AssignedToStreets(), DuplicateMerged()];

        Assert.Null(SlaTimeline.FromHistory(history).StoppedAt);
        Assert.Null(history.Skip(1).Aggregate(SlaProgress.Start(Opened()), (progress, e) => progress.Apply(e)).StoppedAt);
    }
}

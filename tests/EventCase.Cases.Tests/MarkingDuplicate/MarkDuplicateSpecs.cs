using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.MarkingDuplicate;

public sealed class MarkDuplicateSpecs
{
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
    [InlineData(CaseStatus.Duplicate)]
    [InlineData(CaseStatus.Cancelled)]
    [InlineData(CaseStatus.TransferredOut)]
    public void Marking_a_duplicate_of_a_case_that_does_not_carry_on_is_rejected_naming_that_case_and_its_status(CaseStatus original)
    {
        var rejection = Given(Opened()).When(new MarkDuplicate(Id, new CaseId("case-77"), CaseNumber.Parse("BOS-2026-000077"), Now, original))
            .ThenRejected<InvalidCaseLink>(
                $"case BOS-2026-000102 is Open; MarkDuplicate needs an original that carries on (open, Resolved or Closed), and case BOS-2026-000077 is {original}");

        Assert.Equal(CaseLinkProblem.OriginalDoesNotCarryOn, rejection.Problem);
        Assert.Equal("case.original-does-not-carry-on", rejection.Code);
    }

    [Theory]
    [InlineData(CaseStatus.InProgress)]
    [InlineData(CaseStatus.Resolved)]
    [InlineData(CaseStatus.Closed)]
    public void Marking_a_duplicate_of_a_case_that_carries_on_merges_it(CaseStatus original)
    {
        var originalId = new CaseId("case-77");
        Given(Opened()).When(new MarkDuplicate(Id, originalId, null, Now, original))
            .Then(new CaseMarkedDuplicate(Id, originalId, null, Now));
    }
}

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
}

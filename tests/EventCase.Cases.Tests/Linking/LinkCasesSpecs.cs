using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.Linking;

public sealed class LinkCasesSpecs
{
    private static readonly CaseId Grandparent = new("case-1");
    private static readonly CaseId Parent = new("case-2");
    private static readonly CaseId Grandchild = new("case-300");

    [Fact]
    public void Linking_a_parent_records_it()
    {
        var state = Given(Opened()).When(new LinkParentCase(Id, Parent, [Grandparent], Now))
            .Then(new ParentCaseLinked(Id, Parent, Now));

        Assert.Equal(Parent, Assert.IsType<OpenedCase>(state).Parent);
    }

    [Fact]
    public void A_case_cannot_be_its_own_parent()
    {
        Given(Opened()).When(new LinkParentCase(Id, Id, [], Now))
            .ThenRejected<InvalidCaseLink>("case BOS-2026-000102 is Open; LinkParent needs another case as parent: a case cannot be its own parent");
    }

    [Fact]
    public void A_case_cannot_become_a_child_of_its_own_descendant()
    {
        // Grandchild's ancestry (looked up by the handler) runs through this case.
        var rejection = Given(Opened()).When(new LinkParentCase(Id, Grandchild, [new CaseId("case-200"), Id, Parent], Now))
            .ThenRejected<InvalidCaseLink>(
                "case BOS-2026-000102 is Open; LinkParent needs a parent that does not descend from it: case case-300 descends from case BOS-2026-000102, and a case cannot become a child of its own descendant");

        Assert.Equal(CaseLinkProblem.Cycle, rejection.Problem);
        Assert.Equal("case.link-cycle", rejection.Code);
    }

    [Fact]
    public void A_case_cannot_become_a_child_of_its_own_direct_child_even_without_ancestry()
    {
        var child = new CaseId("case-200");
        Given(Opened(), new ChildCaseLinked(Id, child, At(1))).When(new LinkParentCase(Id, child, [], Now))
            .ThenRejected<InvalidCaseLink>();
    }

    [Fact]
    public void A_case_cannot_take_one_of_its_ancestors_as_a_child()
    {
        Given(Opened(), new ParentCaseLinked(Id, Parent, At(1))).When(new LinkChildCase(Id, Grandparent, [Parent, Grandparent], Now))
            .ThenRejected<InvalidCaseLink>(
                "case BOS-2026-000102 is Open; LinkChild needs a child that is not one of its ancestors: case case-1 is an ancestor of case BOS-2026-000102, and a case cannot become a child of its own descendant");
    }

    [Fact]
    public void A_case_with_a_parent_cannot_take_a_second_one()
    {
        var rejection = Given(Opened(), new ParentCaseLinked(Id, Parent, At(1))).When(new LinkParentCase(Id, Grandparent, [], Now))
            .ThenRejected<InvalidCaseLink>();

        Assert.Equal(CaseLinkProblem.AlreadyHasParent, rejection.Problem);
    }

    [Fact]
    public void Linking_the_same_child_twice_changes_nothing()
    {
        Given(Opened(), new ChildCaseLinked(Id, Grandchild, At(1))).When(new LinkChildCase(Id, Grandchild, [], Now)).ThenNothingHappens();
    }
}

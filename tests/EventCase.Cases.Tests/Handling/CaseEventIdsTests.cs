using EventCase.Cases.Handling;
using EventCase.EventStore;

namespace EventCase.Cases.Tests.Handling;

public sealed class CaseEventIdsTests
{
    private static readonly StreamName Stream = new("boston", "case-102");

    [Fact]
    public void The_same_key_case_and_index_always_give_the_same_id()
    {
        Assert.Equal(CaseEventIds.ForIdempotencyKey(Stream, "req-1", 0), CaseEventIds.ForIdempotencyKey(Stream, "req-1", 0));
    }

    [Fact]
    public void Changing_the_tenant_the_case_the_key_or_the_index_changes_the_id()
    {
        Guid[] ids =
        [
            CaseEventIds.ForIdempotencyKey(Stream, "req-1", 0),
            CaseEventIds.ForIdempotencyKey(Stream, "req-1", 1),
            CaseEventIds.ForIdempotencyKey(Stream, "req-2", 0),
            CaseEventIds.ForIdempotencyKey(Stream with { Tenant = "cambridge" }, "req-1", 0),
            CaseEventIds.ForIdempotencyKey(Stream with { Id = "case-103" }, "req-1", 0),
            CaseEventIds.ForIdempotencyKey(new StreamName("boston", "case-10"), "2req-1", 0),
        ];

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void Derived_ids_are_rfc_9562_version_8_uuids_and_fresh_ids_are_version_7()
    {
        var derived = CaseEventIds.ForIdempotencyKey(Stream, "req-1", 0);

        Assert.Equal(8, derived.Version);
        Assert.Equal(0b10, derived.Variant >> 2);
        Assert.Equal(7, CaseEventIds.New().Version);
    }
}

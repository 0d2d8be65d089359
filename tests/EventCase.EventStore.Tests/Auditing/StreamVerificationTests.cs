using EventCase.EventStore.Auditing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Auditing;

/// <summary>One stream's verification together with the head it was verified against (the auditor's per-case check).</summary>
public sealed class StreamVerificationTests(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Row = "tenant_id = $1 AND stream_id = $2";

    [Fact]
    public async Task An_intact_stream_is_reported_with_its_head_version_and_the_hash_of_its_last_event()
    {
        var stream = await StreamWithNotesAsync(5);
        var last = (await Store.ReadStreamAsync(stream, ReadStreamOptions.All, Ct).ToListAsync(Ct))[^1];

        var verification = await new AuditVerifier(Store).VerifyStreamAndHeadAsync(stream, Ct);

        Assert.True(verification.Report.IsIntact);
        Assert.Null(verification.Finding);
        Assert.Equal(5, verification.HeadVersion);
        Assert.Equal(last.Hash, verification.HeadHash);
        Assert.Equal(5, verification.Report.EventsChecked);
    }

    [Fact]
    public async Task A_stream_whose_stream_row_was_deleted_is_a_changed_head_with_no_head()
    {
        var stream = await StreamWithNotesAsync(3);
        await TamperAsync(stream, $"DELETE FROM eventcase.streams WHERE {Row}");

        var verification = await new AuditVerifier(Store).VerifyStreamAndHeadAsync(stream, Ct);

        Assert.False(verification.Report.IsIntact);
        Assert.Equal(TamperKind.ChangedHead, verification.Finding!.Kind);
        Assert.Null(verification.HeadVersion);
        Assert.Null(verification.HeadHash);
    }

    [Fact]
    public async Task A_stream_with_neither_events_nor_a_stream_row_checks_nothing()
    {
        var verification = await new AuditVerifier(Store).VerifyStreamAndHeadAsync(NewStream(NewTenant()), Ct);

        Assert.Equal(0, verification.Report.StreamsChecked);
        Assert.Null(verification.HeadVersion);
        Assert.Null(verification.Finding);
    }

    [Fact]
    public async Task The_head_returned_is_the_one_verified_even_while_another_append_commits()
    {
        // The verification and the head come from one snapshot: whatever an append running alongside does, the head
        // version is the number of events the verification checked.
        var stream = await StreamWithNotesAsync(2);
        var verifier = new AuditVerifier(Store);
        var appends = Task.Run(async () =>
        {
            for (var version = 2; version < 40; version++)
            {
                await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(version), TestEvents.Notes(stream.Id, 1), Ct);
            }
        }, Ct);

        while (!appends.IsCompleted)
        {
            var verification = await verifier.VerifyStreamAndHeadAsync(stream, Ct);
            Assert.True(verification.Report.IsIntact);
            Assert.Equal(verification.Report.EventsChecked, verification.HeadVersion);
        }

        await appends;
    }
}

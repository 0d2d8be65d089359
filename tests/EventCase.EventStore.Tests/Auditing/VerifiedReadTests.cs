using EventCase.EventStore.Auditing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Auditing;

/// <summary>
/// <see cref="AuditVerifier.ReadStreamAsync"/>: a stream's events with its chain verified over the rows read, what a
/// case's history, time travel and replay show (decision 0026). TamperingTests checks every alteration kind against it
/// too (through <c>SingleFindingAsync</c>).
/// </summary>
public sealed class VerifiedReadTests(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Row = "tenant_id = $1 AND stream_id = $2";

    [Fact]
    public async Task An_untouched_stream_reads_as_the_store_reads_it_and_verifies_intact_with_its_head()
    {
        var stream = await StreamWithNotesAsync(4);
        // The JSON is hashed as the driver hands it over: non-ASCII text, escapes and an emoji must hash as data::text does.
        await Store.AppendToStreamAsync(
            stream, "thing", ExpectedVersion.Exactly(4), [TestEvents.New(new NoteAdded(stream.Id, "Müller said: \"ça va?\"\n😀 \\ done"))], Ct);
        var plain = await Store.ReadStreamAsync(stream, ReadStreamOptions.All, Ct).ToListAsync(Ct);

        var read = await new AuditVerifier(Store).ReadStreamAsync(stream, Ct);

        Assert.Null(read.Finding);
        Assert.True(read.Verification.Report.IsIntact);
        Assert.Equal((1L, 5L), (read.Verification.Report.StreamsChecked, read.Verification.Report.EventsChecked));
        Assert.Equal(plain, read.Events);
        Assert.Equal((5L, plain[^1].Hash), (read.Verification.HeadVersion, read.Verification.HeadHash));
    }

    [Fact]
    public async Task A_stream_that_does_not_exist_reads_empty_and_checks_nothing()
    {
        var read = await new AuditVerifier(Store).ReadStreamAsync(NewStream(NewTenant()), Ct);

        Assert.Empty(read.Events);
        Assert.Equal(0, read.Verification.Report.StreamsChecked);
        Assert.Null(read.Finding);
    }

    [Fact]
    public async Task An_edit_that_still_reads_is_returned_as_stored_with_the_finding()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.events SET data = jsonb_set(data, '{{text}}', '\"nothing to see\"') WHERE {Row} AND stream_version = 2");

        var read = await new AuditVerifier(Store).ReadStreamAsync(stream, Ct);

        Assert.Equal("nothing to see", Assert.IsType<NoteAdded>(read.Events[1].Data).Text);
        Assert.Equal((2L, TamperKind.EditedEvent), (read.Finding!.Version, read.Finding.Kind));
    }

    [Fact]
    public async Task An_altered_event_that_no_longer_reads_is_named_with_the_chains_finding()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.events SET data = '{{\"unexpected\": 1}}' WHERE {Row} AND stream_version = 3");

        var altered = await Assert.ThrowsAsync<AlteredEventUnreadableException>(() => new AuditVerifier(Store).ReadStreamAsync(stream, Ct));

        Assert.Equal(3, altered.Version);
        Assert.Equal((3L, TamperKind.EditedEvent), (altered.Finding.Version, altered.Finding.Kind));
        Assert.Contains("altered after it was written", altered.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_stored_unreadable_with_its_chain_intact_fails_as_a_plain_read_does_not_as_tampering()
    {
        // A type this build does not know, appended through the store's own function: the chain covers it, so it is no
        // evidence of tampering (a missing upcaster, an older build), and is not called so.
        var stream = await StreamWithNotesAsync(2);
        await TamperAsync(stream,
            """
            SELECT * FROM eventcase.append_events($1, $2, 'thing', 2, ARRAY[gen_random_uuid()], ARRAY['thing.unknown.v9'],
                                                  ARRAY['{}'::jsonb], ARRAY['{"actorId": "a", "actorRole": "agent"}'::jsonb])
            """);

        await Assert.ThrowsAsync<UnknownEventTypeException>(() => new AuditVerifier(Store).ReadStreamAsync(stream, Ct));
        Assert.True((await VerifyAsync(stream)).IsIntact);
    }
}

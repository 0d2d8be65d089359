using EventCase.EventStore.Auditing;
using EventCase.EventStore.Schema;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using NodaTime;
using Npgsql;

namespace EventCase.EventStore.Tests.Schema;

/// <summary>
/// Schemas earlier services made, written to the way they wrote, then opened by this build: 0001–0002 (the first
/// service, b6cd2b5, before the hash chain; 0003 back-fills the hashes) and 0001–0004 (ffb5a90, the first with
/// <c>eventcase serve</c>). LandedMigrationTests pins that these are the scripts they ran.
/// </summary>
public sealed class ReleasedSchemaUpgradeTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Events_appended_under_an_earlier_migration_set_read_back_verify_and_take_appends_after_the_later_ones_apply(int appliedBefore)
    {
        var schema = "released_" + appliedBefore;
        var serializer = new EventSerializer(TestEvents.Registry());
        var older = PostgresEventStore.Migrations.Where(m => m.Version <= appliedBefore).ToArray();
        await SchemaMigrator.MigrateAsync(database.DataSource, schema, PostgresEventStore.MigrationSet, older,
            new Dictionary<string, string> { ["__channel__"] = schema + "_appended" }, Ct);
        var stream = new StreamName("boston", "thing-1");
        var opened = new ThingOpened("thing-1", "Pothole", Instant.FromUtc(2026, 11, 23, 21, 0));
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        // The earlier stores appended through the schema's own function, one call per append.
        await AppendThroughTheFunctionAsync(schema, serializer, stream, 0, [ids[0]], [opened]);
        await AppendThroughTheFunctionAsync(schema, serializer, stream, 1, [ids[1], ids[2]], [new NoteAdded("thing-1", "first"), new NoteAdded("thing-1", "second")]);

        var store = new PostgresEventStore(database.DataSource, serializer, new EventStoreOptions { Schema = schema });
        var applied = await store.MigrateAsync(Ct);

        Assert.Equal(PostgresEventStore.Migrations.Where(m => m.Version > appliedBefore).Select(m => m.Version), applied);
        var before = await store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal(ids, before.Select(e => e.EventId));
        Assert.Equal(opened, before[0].Data);
        Assert.Equal(new NoteAdded("thing-1", "second"), before[2].Data);
        Assert.Equal(TestEvents.Actor.ActorId, before[1].Metadata.ActorId);
        Assert.All(before, e => Assert.NotNull(e.Hash));

        // A retry of the earlier service's last append is recognised, and a new append chains on from its head.
        var retry = await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(1),
            [new NewEvent(ids[1], new NoteAdded("thing-1", "first"), TestEvents.Actor), new NewEvent(ids[2], new NoteAdded("thing-1", "second"), TestEvents.Actor)], Ct);
        var next = await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(3), [TestEvents.New(new NoteAdded("thing-1", "after the upgrade"))], Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(4, next.NextExpectedVersion);
        var report = await new AuditVerifier(store).VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Equal(4, report.EventsChecked);
    }

    private async Task AppendThroughTheFunctionAsync(string schema, EventSerializer serializer, StreamName stream, long expected, Guid[] ids, object[] events)
    {
        var serialized = events.Select(serializer.SerializeData).ToArray();
        await using var command = database.DataSource.CreateCommand(
            $"SELECT outcome FROM {schema}.append_events($1, $2, 'thing', $3, $4, $5, $6::jsonb[], $7::jsonb[])");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. serialized.Select(s => s.TypeName)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. serialized.Select(s => s.Json)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(_ => serializer.SerializeMetadata(TestEvents.Actor))] });
        Assert.Equal((short)0, await command.ExecuteScalarAsync(Ct));
    }
}

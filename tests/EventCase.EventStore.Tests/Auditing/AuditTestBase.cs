using EventCase.EventStore.Auditing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Auditing;

/// <summary>Helpers for tampering with the store the way an insider with SQL access would.</summary>
public abstract class AuditTestBase(DatabaseFixture database) : StoreTestBase(database)
{
    /// <summary>A tenant no other test of the class uses, so that verifying it sees only this test's streams.</summary>
    protected static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    protected async Task<StreamName> StreamWithNotesAsync(int count, string? tenant = null)
    {
        var stream = NewStream(tenant ?? NewTenant());
        // Two appends, so the chain crosses an append boundary.
        var firstBatch = Math.Max(1, count / 2);
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, firstBatch), Ct);
        if (count > firstBatch)
        {
            await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(firstBatch), TestEvents.Notes(stream.Id, count - firstBatch), Ct);
        }

        return stream;
    }

    /// <summary>Runs <paramref name="sql"/> with $1 = tenant, $2 = stream id, then the <paramref name="more"/> values.</summary>
    protected async Task<int> TamperAsync(StreamName stream, string sql, params object[] more)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(stream.Tenant);
        command.Parameters.AddWithValue(stream.Id);
        foreach (var value in more)
        {
            command.Parameters.AddWithValue(value);
        }

        return await command.ExecuteNonQueryAsync(Ct);
    }

    protected Task<AuditReport> VerifyAsync(StreamName stream, int batchSize = 50_000) =>
        new AuditVerifier(Store, batchSize).VerifyStreamAsync(stream, cancellationToken: Ct);

    protected async Task<AuditFinding> SingleFindingAsync(StreamName stream)
    {
        var report = await VerifyAsync(stream);
        Assert.False(report.IsIntact, "the alteration went unnoticed");
        var finding = Assert.Single(report.Findings);
        Assert.Equal(stream, finding.Stream);

        // The tenant-wide walk, in batches smaller than the stream, must reach the same verdict.
        var byTenant = await new AuditVerifier(Store, batchSize: 3).VerifyTenantAsync(stream.Tenant, cancellationToken: Ct);
        Assert.Equal(finding, Assert.Single(byTenant.Findings));

        // So must the one-pass read that a history, a time travel or a replay shows (over the rows it returns).
        Assert.Equal(finding, await FindingOfVerifiedReadAsync(stream));
        return finding;
    }

    /// <summary>The finding of <see cref="AuditVerifier.ReadStreamAsync"/>, also when an altered event no longer reads.</summary>
    protected async Task<AuditFinding?> FindingOfVerifiedReadAsync(StreamName stream)
    {
        try
        {
            return (await new AuditVerifier(Store).ReadStreamAsync(stream, Ct)).Finding;
        }
        catch (AlteredEventUnreadableException unreadable)
        {
            return unreadable.Finding;
        }
    }

    protected async Task<byte[]> StoredHashAsync(StreamName stream, long version)
    {
        await using var command = DataSource.CreateCommand(
            "SELECT hash FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3");
        command.Parameters.AddWithValue(stream.Tenant);
        command.Parameters.AddWithValue(stream.Id);
        command.Parameters.AddWithValue(version);
        return (byte[])(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>The row at <paramref name="version"/> as the hash sees it.</summary>
    protected async Task<CanonicalEvent> CanonicalAsync(StreamName stream, long version)
    {
        await using var command = DataSource.CreateCommand(
            """
            SELECT event_id, event_type, recorded_at, data::text, metadata::text
              FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3
            """);
        command.Parameters.AddWithValue(stream.Tenant);
        command.Parameters.AddWithValue(stream.Id);
        command.Parameters.AddWithValue(version);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return new CanonicalEvent(
            stream.Tenant,
            stream.Id,
            version,
            reader.GetGuid(0),
            reader.GetString(1),
            (reader.GetDateTime(2).Ticks - DateTime.UnixEpoch.Ticks) / 10,
            reader.GetString(3),
            reader.GetString(4));
    }

    protected NpgsqlDataSource Sql => DataSource;
}

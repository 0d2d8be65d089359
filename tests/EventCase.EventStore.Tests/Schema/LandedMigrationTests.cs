using EventCase.EventStore.Schema;

namespace EventCase.EventStore.Tests.Schema;

/// <summary>
/// Every database an EventCase build has migrated keeps, in <c>schema_migrations</c>, the checksum of each script it ran,
/// and a later build whose script hashes differently refuses to start on it. So a script, once on main, never changes:
/// these are the checksums the released builds recorded (read back from databases they made), and a change to a landed
/// script fails here instead of in an agency's upgrade.
/// </summary>
public sealed class LandedMigrationTests
{
    /// <summary>Version, name and checksum of each landed event store migration.</summary>
    public static TheoryData<int, string, string> Landed => new()
    {
        { 1, "event_store", "e05a21dc577a9dbaa209ad196e70cf666554e794c436910bb22998559e6828e9" },
        { 2, "projections", "d495e0ea5b21c39264e19d7ab44e6a5c1729936dd84497d5d417db79af5763a9" },
        { 3, "hash_chain", "430f3813fecfff5cb32eadb603acdd052ddb9329e0445b5930e987caa5db5d73" },
        { 4, "notify_after_commit", "dcbc39d724e30dd8257742968abdd0c50f298d382a07163815db907c704b2f38" },
        { 5, "snapshots", "92ed1bde5354a329a8b02a42b3f801216084f854eb2383e408de8ccb1bc1bc94" },
        { 6, "no_statistics_on_documents", "d969787f7157ca952f723357baeb297b3a4c35a0e465436f4097209735307100" },
        { 7, "projection_mode", "8895b6e623192be48bfda1902f53947fc4fe991f56b160b9c240a7aae172aaff" },
    };

    [Theory]
    [MemberData(nameof(Landed))]
    public void A_landed_migration_keeps_the_checksum_the_databases_it_ran_on_recorded(int version, string name, string checksum)
    {
        var migration = Assert.Single(PostgresEventStore.Migrations, m => m.Version == version);

        Assert.Equal(name, migration.Name);
        Assert.Equal(checksum, migration.Checksum);
    }

    [Fact]
    public void Every_migration_is_pinned_here_once_it_lands()
    {
        // A new script is added to Landed in the commit that adds it: from then on databases carry its checksum.
        var pinned = Landed.Select(row => (int)row.Data.Item1).ToArray();

        Assert.Equal(pinned, PostgresEventStore.Migrations.Select(m => m.Version).ToArray());
    }
}

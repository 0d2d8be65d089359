using EventCase.Cases.Schema;

namespace EventCase.Cases.Tests.Schema;

/// <summary>
/// The case migrations' checksums as the released builds recorded them in <c>schema_migrations</c>: a build whose
/// landed script hashes differently refuses to start on those databases, so a change to a landed script fails here
/// (the event store's are pinned in its own tests).
/// </summary>
public sealed class LandedCaseMigrationTests
{
    /// <summary>Version, name and checksum of each landed case migration.</summary>
    public static TheoryData<int, string, string> Landed => new()
    {
        { 1, "case_number_sequences", "3d5fa65d9221391122dcedb8f4890d32a509142d26e79fa2d102861979920c92" },
    };

    [Theory]
    [MemberData(nameof(Landed))]
    public void A_landed_case_migration_keeps_the_checksum_the_databases_it_ran_on_recorded(int version, string name, string checksum)
    {
        var migration = Assert.Single(CasesSchema.Migrations, m => m.Version == version);

        Assert.Equal(name, migration.Name);
        Assert.Equal(checksum, migration.Checksum);
    }

    [Fact]
    public void Every_case_migration_is_pinned_here_once_it_lands()
    {
        var pinned = Landed.Select(row => (int)row.Data.Item1).ToArray();

        Assert.Equal(pinned, CasesSchema.Migrations.Select(m => m.Version).ToArray());
    }
}

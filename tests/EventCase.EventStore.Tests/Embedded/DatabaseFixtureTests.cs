using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Embedded;

public sealed class DatabaseFixtureTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_fixture_connects_to_a_database_of_its_own()
    {
        await using var command = database.DataSource.CreateCommand("SELECT current_database()");

        Assert.Equal(database.DatabaseName, await command.ExecuteScalarAsync(Token));
        Assert.Equal(database.DatabaseName, new NpgsqlConnectionStringBuilder(database.ConnectionString).Database);
    }

    [Fact]
    public async Task The_database_starts_empty()
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");

        Assert.Equal(0L, await command.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task Disposing_a_fixture_drops_its_database_even_with_connections_open()
    {
        var fixture = new DatabaseFixture();
        await fixture.InitializeAsync();
        var stillOpen = new NpgsqlConnection(fixture.ConnectionString);
        await stillOpen.OpenAsync(Token);

        await fixture.DisposeAsync();

        var admin = await TestCluster.GetAdminDataSourceAsync(Token);
        await using var exists = admin.CreateCommand("SELECT count(*) FROM pg_database WHERE datname = $1");
        exists.Parameters.AddWithValue(fixture.DatabaseName);
        Assert.Equal(0L, await exists.ExecuteScalarAsync(Token));
        await stillOpen.DisposeAsync();
    }

    [Fact]
    public async Task The_run_uses_one_cluster_shared_by_all_fixtures()
    {
        var first = await TestCluster.GetConnectionStringAsync(Token);
        var second = await TestCluster.GetConnectionStringAsync(Token);

        Assert.Same(first, second);
        if (Environment.GetEnvironmentVariable(TestCluster.ConnectionVariable) is null)
        {
            Assert.NotNull(TestCluster.Embedded);
            await using var command = database.DataSource.CreateCommand("SHOW max_connections");
            Assert.Equal("300", await command.ExecuteScalarAsync(Token));
        }
    }
}

public sealed class SecondDatabaseFixtureTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Another_test_class_gets_another_database()
    {
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM pg_database WHERE datname LIKE 'eventcase_test_%'");

        Assert.True((long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! >= 1);
        Assert.StartsWith("eventcase_test_", database.DatabaseName, StringComparison.Ordinal);
    }
}

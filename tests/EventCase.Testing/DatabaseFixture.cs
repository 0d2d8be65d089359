using System.Globalization;
using Npgsql;
using Xunit;

namespace EventCase.Testing;

/// <summary>
/// A fresh, empty database of its own for one test class, on the run's shared server (see <see cref="TestCluster"/>),
/// dropped afterwards. Use it as <c>IClassFixture&lt;DatabaseFixture&gt;</c>; derive from it to add set-up such as
/// migrations (override <see cref="InitializeAsync"/> and call the base first).
/// </summary>
public class DatabaseFixture : IAsyncLifetime
{
    private string? _connectionString;
    private NpgsqlDataSource? _dataSource;

    /// <summary>The database's name: <c>eventcase_test_</c> and 16 random hex digits.</summary>
    public string DatabaseName { get; } =
        "eventcase_test_" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture)[..16];

    /// <summary>A connection string to the database.</summary>
    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("DatabaseFixture is not initialized yet.");

    /// <summary>The data source of the database, shared by the class's tests; disposed by the fixture.</summary>
    public NpgsqlDataSource DataSource =>
        _dataSource ?? throw new InvalidOperationException("DatabaseFixture is not initialized yet.");

    /// <summary>Creates the database and the data source.</summary>
    public virtual async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var admin = await TestCluster.GetAdminDataSourceAsync(cancellationToken);
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{DatabaseName}\""))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(await TestCluster.GetConnectionStringAsync(cancellationToken))
        {
            Database = DatabaseName,
        };
        _connectionString = builder.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(_connectionString);
    }

    /// <summary>Disposes the data source and drops the database, even while connections to it remain open.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
            _dataSource = null;
        }

        if (_connectionString is null)
        {
            return;
        }

        var admin = await TestCluster.GetAdminDataSourceAsync();
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
        _connectionString = null;
    }
}

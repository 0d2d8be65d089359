using Npgsql;

namespace EventCase.Benchmarks.Running;

/// <summary>What every workload gets: the server, a way to make a fresh database, and the size multiplier.</summary>
internal sealed class BenchmarkContext(string serverConnectionString, double scale, TextWriter log)
{
    public double Scale { get; } = scale;

    public TextWriter Log { get; } = log;

    public int Scaled(int baseCount, int minimum = 1) => Math.Max(minimum, (int)Math.Round(baseCount * Scale));

    /// <summary>
    /// A fresh database for one workload, with the connection settings we recommend for the store: prepared
    /// statements (auto-prepare), no connection reset round trip when a pooled connection is returned.
    /// </summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync(string name, CancellationToken cancellationToken) =>
        NpgsqlDataSource.Create(await CreateDatabaseNameAsync(name, cancellationToken));

    /// <summary>Like <see cref="CreateDatabaseAsync"/>, for a component that makes its own data source: the connection string.</summary>
    public async Task<string> CreateDatabaseNameAsync(string name, CancellationToken cancellationToken)
    {
        var database = "bench_" + name + "_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = NpgsqlDataSource.Create(serverConnectionString))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {database}"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(serverConnectionString)
        {
            Database = database,
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
            MaxPoolSize = 64,
        };
        return builder.ConnectionString;
    }
}

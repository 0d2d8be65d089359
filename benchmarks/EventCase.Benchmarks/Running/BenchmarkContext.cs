using Npgsql;

namespace EventCase.Benchmarks.Running;

/// <summary>What every workload gets: the server, a way to make a fresh database, and the size multiplier.</summary>
internal sealed class BenchmarkContext(string serverConnectionString, double scale, TextWriter log)
{
    // The databases made since the last settle: the running workload's.
    private readonly List<string> _databases = [];

    public double Scale { get; } = scale;

    public TextWriter Log { get; } = log;

    public int Scaled(int baseCount, int minimum = 1) => Math.Max(minimum, (int)Math.Round(baseCount * Scale));

    /// <summary>
    /// Runs warm-up rounds until the JIT has settled: tiered compilation keeps recompiling hot methods (tier 0, then
    /// instrumented, then optimized with profile data) for many seconds under load, and a measurement taken meanwhile
    /// times unoptimized code and the compiler thread's own CPU. A round that compiles fewer than
    /// <paramref name="settledBelow"/> methods ends the warm-up, as does <paramref name="limit"/> (90 s; one round at a
    /// smoke-test scale below 0.1, where no figure means anything).
    /// </summary>
    /// <returns>The number of rounds run.</returns>
    public async Task<int> WarmUpAsync(Func<int, Task> round, int settledBelow = 25, TimeSpan? limit = null)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var rounds = 0;
        while (true)
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            await round(rounds++);
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var smoke = Scale < 0.1;
            // Tier-up runs on a background timer after methods' call counts fill up: a quick round can compile nothing
            // while promotions are still pending, so a round only counts as settled after a few seconds of warm-up.
            if ((compiled < settledBelow && (smoke || elapsed >= TimeSpan.FromSeconds(3)))
                || elapsed > (limit ?? (smoke ? TimeSpan.Zero : TimeSpan.FromSeconds(90))))
            {
                Log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"  warm-up: {rounds} rounds in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s, {compiled} methods compiled in the last"));
                return rounds;
            }
        }
    }

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

        _databases.Add(database);

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

    /// <summary>
    /// Between workloads: drops the finished workload's databases (unless <paramref name="keepDatabases"/>), then
    /// checkpoints. Each workload then starts on a quiet server, as it would alone: without this, the next one shared
    /// the machine with autovacuum of the last one's tables and with the checkpoint its bulk writes had started (the
    /// checkpointer writing gigabytes of dirty pages, every page touched after it began logged whole).
    /// </summary>
    public async Task SettleAsync(bool keepDatabases, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var dropped = keepDatabases ? ForgetDatabases() : await DropDatabasesAsync(cancellationToken);
        await using var admin = NpgsqlDataSource.Create(serverConnectionString);
        await using (var checkpoint = admin.CreateCommand("CHECKPOINT"))
        {
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }

        Log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"  settled: {dropped} database(s) dropped, checkpoint, {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
    }

    /// <summary>
    /// Drops the databases the workloads since the last call created: between workloads, and after the last one on a
    /// server given with <c>--connection</c>, which would otherwise keep every run's databases (W4's alone is gigabytes).
    /// </summary>
    /// <returns>How many were dropped.</returns>
    public async Task<int> DropDatabasesAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(serverConnectionString);
        var dropped = 0;
        foreach (var database in _databases)
        {
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync(cancellationToken);
            dropped++;
        }

        _databases.Clear();
        return dropped;
    }

    /// <summary>Leaves the databases created so far on the server (<c>--keep-databases</c>).</summary>
    private int ForgetDatabases()
    {
        _databases.Clear();
        return 0;
    }
}

using EventCase.EventStore.Embedded;
using Npgsql;
using Xunit;

namespace EventCase.Testing;

/// <summary>
/// A cluster of its own on which a commit can be made to succeed while its connection is lost, as a network failure or
/// a crash between a commit and its reply does. Its <c>synchronous_standby_names</c> names a standby that never comes,
/// so a commit through <see cref="Waiting"/> is durable locally and then waits; terminating its backend
/// (<see cref="TerminateAsync"/>) loses the connection after the commit, and cancelling it
/// (<see cref="ReleaseWaitingCommitsAsync"/>) lets it return as committed. The setting is the whole server's, hence a
/// cluster of its own rather than the run's shared one.
/// </summary>
public sealed class LostCommitCluster : IAsyncDisposable
{
    private readonly EmbeddedPostgres _postgres;

    private LostCommitCluster(EmbeddedPostgres postgres)
    {
        _postgres = postgres;
        // A fast cluster commits asynchronously by default, which never waits for a standby.
        Observer = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Options = "-c synchronous_commit=local" }.ConnectionString);
        Waiting = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Options = "-c synchronous_commit=on" }.ConnectionString);
    }

    /// <summary>Commits without waiting: for set-up and for watching.</summary>
    public NpgsqlDataSource Observer { get; }

    /// <summary>Every commit that wrote something waits for the standby until its backend is terminated or cancelled.</summary>
    public NpgsqlDataSource Waiting { get; }

    /// <summary>Starts the cluster.</summary>
    public static async Task<LostCommitCluster> StartAsync(CancellationToken cancellationToken) =>
        new(await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions
            {
                Mode = EmbeddedPostgresMode.Temporary,
                Durability = EmbeddedPostgresDurability.Fast,
                Settings = new Dictionary<string, string> { ["synchronous_standby_names"] = "nobody" },
            },
            cancellationToken));

    /// <summary>The backend of a commit waiting for the standby, other than <paramref name="except"/>; waits up to 30 s for one.</summary>
    public async Task<int> WaitForACommitWaitingForTheStandbyAsync(IReadOnlyCollection<int> except, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var command = Observer.CreateCommand("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND NOT (pid = ANY ($1))");
            command.Parameters.AddWithValue(except.ToArray());
            if (await command.ExecuteScalarAsync(cancellationToken) is int pid)
            {
                return pid;
            }

            Assert.True(DateTime.UtcNow < deadline, "no commit came to wait for the standby within 30 s");
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Terminates a backend: a commit it was waiting on stays committed, and its client loses the connection.</summary>
    public async Task TerminateAsync(int pid, CancellationToken cancellationToken)
    {
        await using var command = Observer.CreateCommand("SELECT pg_terminate_backend($1)");
        command.Parameters.AddWithValue(pid);
        Assert.True((bool)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>Lets every commit now waiting for the standby return to its client, committed.</summary>
    public async Task ReleaseWaitingCommitsAsync(CancellationToken cancellationToken)
    {
        await using var command = Observer.CreateCommand("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Releases waiting commits until <paramref name="task"/> ends (it may commit again meanwhile); its outcome is the caller's to see.</summary>
    public async Task ReleaseCommitsUntilDoneAsync(Task task, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the task did not end within 60 s");
            await ReleaseWaitingCommitsAsync(cancellationToken);
            await Task.WhenAny(task, Task.Delay(50, cancellationToken));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Observer.DisposeAsync();
        await Waiting.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

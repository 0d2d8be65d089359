using EventCase.Cli.Hosting;

namespace EventCase.Cli.Projections;

/// <summary>
/// What the projections table says about a projection beyond its status: whether a service is working on it, and
/// whether a rebuild was requested that no service has started yet. The request is only a row; a command that waits
/// for it, or an operator who reads the status, must be told when no service is there to act on it.
/// </summary>
/// <param name="Name">The projection.</param>
/// <param name="SinceHeartbeat">How long ago its owner last reported; null when no node ever owned it.</param>
/// <param name="RebuildRequestedFor">How long a rebuild request has waited to be taken up; null when none waits.</param>
internal sealed record ProjectionActivity(string Name, TimeSpan? SinceHeartbeat, TimeSpan? RebuildRequestedFor)
{
    /// <summary>
    /// How long an owner may stay silent before it is taken for gone. An owner reports every poll interval (2 s by
    /// default, decision 0008), and while rebuilding with every progress update; a long batch can delay that, so the
    /// margin is wide: this only decides whether to print a hint.
    /// </summary>
    public static readonly TimeSpan OwnerSilenceLimit = TimeSpan.FromSeconds(30);

    /// <summary>True when no running node owns the projection.</summary>
    public bool OwnerIsGone => SinceHeartbeat is not { } since || since > OwnerSilenceLimit;

    /// <summary>Every projection's activity, by name. Ages are measured by the database's clock, which also wrote them.</summary>
    public static async Task<IReadOnlyDictionary<string, ProjectionActivity>> ReadAsync(CliSession session, CancellationToken cancellationToken)
    {
        await using var command = session.DataSource.CreateCommand(
            $"""
             SELECT name,
                    extract(epoch FROM now() - owner_heartbeat_at)::double precision,
                    extract(epoch FROM now() - rebuild_requested_at)::double precision
               FROM {session.Store.Options.Schema}.projections
             """);
        var activity = new Dictionary<string, ProjectionActivity>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            TimeSpan? Age(int column) => reader.IsDBNull(column) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(column)));
            activity[reader.GetString(0)] = new ProjectionActivity(reader.GetString(0), Age(1), Age(2));
        }

        return activity;
    }
}

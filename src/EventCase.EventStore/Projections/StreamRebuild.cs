namespace EventCase.EventStore.Projections;

/// <summary>What <see cref="ProjectionSet.RebuildStreamAsync"/> rebuilds, and whether it keeps the result.</summary>
public sealed record StreamRebuildOptions
{
    /// <summary>
    /// The projections to rebuild the stream's rows in, by name; null (the default) for every registered projection
    /// that keeps one row per stream. Naming one that does not (an async projection with its own row key) is refused.
    /// </summary>
    public IReadOnlyCollection<string>? Projections { get; init; }

    /// <summary>
    /// Only compare: fold the stream's events and report whether the stored rows agree with the fold, then roll back,
    /// leaving the tables as they were. Default false.
    /// </summary>
    public bool DryRun { get; init; }
}

/// <summary>One projection's part of a stream rebuild.</summary>
/// <param name="Projection">The projection.</param>
/// <param name="Stream">The stream whose rows were rebuilt.</param>
/// <param name="EventsApplied">How many of the stream's events the projection folded (those it handles, up to <paramref name="UpTo"/>).</param>
/// <param name="UpTo">The async projection's checkpoint, which the rebuilt rows reflect (its daemon applies what follows); null for an inline projection, whose rows reflect the whole stream.</param>
/// <param name="RowsBefore">The stream's rows in the row table before (0 or 1).</param>
/// <param name="RowsAfter">Its rows after (0 or 1).</param>
/// <param name="EntriesBefore">Its entries in the projection's entry tables before.</param>
/// <param name="EntriesAfter">Its entries after.</param>
/// <param name="Changed">
/// Whether the stored rows or entries differed from the fold of the log (compared value by value, entry ids aside):
/// true means they were wrong (and, unless it was a dry run, are now put right).
/// </param>
public sealed record StreamRebuildResult(
    string Projection,
    StreamName Stream,
    int EventsApplied,
    LogPosition? UpTo,
    int RowsBefore,
    int RowsAfter,
    int EntriesBefore,
    int EntriesAfter,
    bool Changed);

/// <summary>
/// A stream rebuild refused because a projection's tables are not the registered projection's: another version of it
/// built them (it is due for a whole rebuild, which replaces every row), or the store was never migrated with it.
/// </summary>
public sealed class StreamRebuildRefusedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="message">Why, naming the projection.</param>
    public StreamRebuildRefusedException(string projection, string message)
        : base(message)
    {
        Projection = projection;
    }

    /// <summary>The projection whose tables are not the registered one's.</summary>
    public string Projection { get; }
}

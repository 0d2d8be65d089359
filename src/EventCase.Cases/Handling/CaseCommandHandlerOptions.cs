using EventCase.Cases.Lifecycle;

namespace EventCase.Cases.Handling;

/// <summary>Settings of a <see cref="CaseCommandHandler"/>.</summary>
public sealed class CaseCommandHandlerOptions
{
    /// <summary>
    /// How many times a command is re-loaded and re-decided after another writer got to the case first, before the
    /// handler gives up with <see cref="CaseCommandResult.ConcurrencyConflict"/>. Default 3; 0 disables retries.
    /// </summary>
    public int MaxConcurrencyRetries
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 3;

    /// <summary>
    /// The handler snapshots a case's state each time its version crosses a multiple of this, so that deciding a
    /// command reads the latest snapshot and fewer than this many events after it. Default 8; 0 turns snapshots off
    /// (cases are then always folded from all their events).
    /// </summary>
    public int SnapshotEvery
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 8;

    /// <summary>
    /// Test hook: awaited after each decision, before its append (arguments: the command, the 1-based attempt). Lets
    /// tests line up racing handlers so that both decide on the same version.
    /// </summary>
    internal Func<CaseCommand, int, CancellationToken, Task>? BeforeAppend { get; set; }
}

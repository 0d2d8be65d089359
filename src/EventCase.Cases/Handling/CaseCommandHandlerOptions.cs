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
    /// Test hook: awaited after each decision, before its append (arguments: the command, the 1-based attempt). Lets
    /// tests line up racing handlers so that both decide on the same version.
    /// </summary>
    internal Func<CaseCommand, int, CancellationToken, Task>? BeforeAppend { get; set; }
}

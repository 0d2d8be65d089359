using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Transferring;

/// <summary>
/// Hands an open case over to another agency. Streams belong to one agency (the tenant is part of every key), so
/// the case becomes <see cref="CaseStatus.TransferredOut"/> — final for this agency — and the receiving agency opens a
/// case of its own that refers back to this one.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="ToAgency">The agency taking it over.</param>
/// <param name="Reason">Why.</param>
/// <param name="Now">The current instant.</param>
public sealed record TransferCase(CaseId CaseId, AgencyId ToAgency, string Reason, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Transfer";
}

/// <summary>The case was handed over to another agency.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="FromAgency">The agency that held it.</param>
/// <param name="ToAgency">The agency taking it over.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
[EventType("case.transferred.v1")]
public sealed record CaseTransferred(CaseId CaseId, AgencyId FromAgency, AgencyId ToAgency, string Reason, Instant At) : CaseEvent(CaseId, At);

internal static class TransferringRules
{
    public static DecisionResult Decide(TransferCase command, OpenedCase state)
    {
        if (Rules.RequireActive(state, command) is { } rejected)
        {
            return rejected;
        }

        if (command.ToAgency == state.Agency)
        {
            return new InvalidCommandInput(state.Label, state.Status, command.Action, nameof(command.ToAgency),
                $"another agency than {state.Agency}, which already holds the case");
        }

        return Rules.RequireText(state, command, command.Reason, nameof(command.Reason), "a reason")
            ?? (DecisionResult)new CaseTransferred(command.CaseId, state.Agency, command.ToAgency, command.Reason, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, CaseTransferred transferred) =>
        state with { Status = CaseStatus.TransferredOut, TransferredTo = transferred.ToAgency };
}

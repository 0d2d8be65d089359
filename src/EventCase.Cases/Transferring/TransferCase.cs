using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Transferring;

/// <summary>
/// Hands an open case over to another agency. Streams belong to one agency (the tenant is part of every key), so
/// the case becomes <see cref="CaseStatus.TransferredOut"/> — final for this agency — and the receiving agency's case,
/// opened in the same append by <see cref="CaseTransfer"/>, refers back to this one.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="ToAgency">The agency taking it over.</param>
/// <param name="Reason">Why.</param>
/// <param name="Now">The current instant.</param>
/// <param name="Receiving">The receiving agency's case opened for it (id and number, chosen by
/// <see cref="CaseTransfer"/>); null only where no receiving case exists, as in imported history.</param>
public sealed record TransferCase(CaseId CaseId, AgencyId ToAgency, string Reason, Instant Now, ReceivingCase? Receiving = null) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Transfer";
}

/// <summary>The case a transfer opens at the receiving agency.</summary>
/// <param name="CaseId">Its id (a stream of the receiving agency).</param>
/// <param name="Number">Its number, from the receiving agency's series.</param>
public sealed record ReceivingCase(CaseId CaseId, CaseNumber Number);

/// <summary>Where a case opened by a transfer came from: the case the other agency handed over.</summary>
/// <param name="Agency">The agency that held the request.</param>
/// <param name="CaseId">Its case (a stream of that agency, which the receiving agency cannot read).</param>
/// <param name="Number">Its number, which the citizen may quote.</param>
public sealed record TransferredFrom(AgencyId Agency, CaseId CaseId, CaseNumber Number);

/// <summary>The case was handed over to another agency.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="FromAgency">The agency that held it.</param>
/// <param name="ToAgency">The agency taking it over.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
/// <param name="ToCaseId">The receiving agency's case, opened in the same append; null for transfers recorded without
/// one (imported history, and transfers stored before receiving cases were opened).</param>
/// <param name="ToNumber">The receiving case's number; null when <paramref name="ToCaseId"/> is.</param>
[EventType("case.transferred.v1")]
public sealed record CaseTransferred(
    CaseId CaseId, AgencyId FromAgency, AgencyId ToAgency, string Reason, Instant At, CaseId? ToCaseId = null, CaseNumber? ToNumber = null)
    : CaseEvent(CaseId, At);

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
            ?? (DecisionResult)new CaseTransferred(
                command.CaseId, state.Agency, command.ToAgency, command.Reason, command.Now, command.Receiving?.CaseId, command.Receiving?.Number);
    }

    public static OpenedCase Apply(OpenedCase state, CaseTransferred transferred) =>
        state with { Status = CaseStatus.TransferredOut, TransferredTo = transferred.ToAgency };
}

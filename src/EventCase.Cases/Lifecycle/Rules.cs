namespace EventCase.Cases.Lifecycle;

/// <summary>Guards shared by the slices. Each returns null when the rule holds, or the rejection.</summary>
internal static class Rules
{
    public const string ActiveRequirement = "an open case (Open, Assigned, InProgress or AwaitingCitizen)";

    public static CaseRejection? RequireActive(OpenedCase state, CaseCommand command) =>
        state.Status.IsActive() ? null : new CommandNotAllowedInStatus(state.Label, state.Status, command.Action, ActiveRequirement);

    public static CaseRejection? RequireStatus(OpenedCase state, CaseCommand command, string requirement, params ReadOnlySpan<CaseStatus> allowed) =>
        allowed.Contains(state.Status) ? null : new CommandNotAllowedInStatus(state.Label, state.Status, command.Action, requirement);

    /// <summary>Rejects a blank or over-long text field; <paramref name="what"/> reads "a reason", "a note text".</summary>
    public static CaseRejection? RequireText(OpenedCase state, CaseCommand command, string? value, string field, string what, int maxLength = 10_000)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return new InvalidCommandInput(state.Label, state.Status, command.Action, field, what);
        }

        return value.Length > maxLength
            ? new InvalidCommandInput(state.Label, state.Status, command.Action, field, $"{what} of at most {maxLength} characters")
            : null;
    }
}

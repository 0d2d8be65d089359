using EventCase.Cases.Lifecycle;

namespace EventCase.Cases.Tests.Support;

/// <summary>
/// Given/When/Then specs for the case decider:
/// <c>Given(opened, assigned).When(resolve).Then(resolved)</c> or <c>.ThenRejected&lt;CommandNotAllowedInStatus&gt;(…)</c>.
/// Events are compared by their JSON, so lists and dictionaries compare by content.
/// </summary>
internal static class CaseSpec
{
    public static GivenCase Given(params CaseEvent[] history) => new(history);

    internal sealed class GivenCase(CaseEvent[] history)
    {
        public CaseState State => CaseState.Fold(history);

        public WhenCommand When(CaseCommand command) => new(history, command, CaseDecider.Decide(command, State));
    }

    internal sealed class WhenCommand(CaseEvent[] history, CaseCommand command, DecisionResult decision)
    {
        public DecisionResult Decision => decision;

        /// <summary>Asserts the command was accepted with exactly these events; returns the state after them.</summary>
        public CaseState Then(params CaseEvent[] expected)
        {
            Assert.True(decision.IsAccepted, $"expected {command.Action} to be accepted, but: {decision.Rejection}");
            Assert.Equal(expected.Select(CaseJson.Describe), decision.Events.Select(CaseJson.Describe));
            return CaseDecider.Fold(CaseState.Fold(history), decision.Events);
        }

        /// <summary>Asserts the command was accepted and changes nothing (no events).</summary>
        public void ThenNothingHappens() => Then();

        /// <summary>Asserts the command was rejected with <typeparamref name="TRejection"/> and the exact message.</summary>
        public TRejection ThenRejected<TRejection>(string? message = null)
            where TRejection : CaseRejection
        {
            Assert.True(decision.IsRejected, $"expected {command.Action} to be rejected, but it produced {string.Join(", ", decision.Events.Select(CaseJson.Describe))}");
            Assert.Empty(decision.Events);
            var rejection = Assert.IsType<TRejection>(decision.Rejection);
            if (message is not null)
            {
                Assert.Equal(message, rejection.Message);
            }

            return rejection;
        }
    }
}

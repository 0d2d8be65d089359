using EventCase.Cases.Handling;

namespace EventCase.Cases.Tests.Handling;

public sealed class CommandContextTests
{
    private static readonly AgencyId Boston = new("boston");

    [Theory]
    [InlineData("", "agent", "corr", "web")]
    [InlineData("agent-7", " ", "corr", "web")]
    [InlineData("agent-7", "agent", "", "web")]
    [InlineData("agent-7", "agent", "corr", "")]
    public void A_context_without_actor_role_correlation_or_channel_is_refused(string actor, string role, string correlation, string channel)
    {
        Assert.ThrowsAny<ArgumentException>(() => new CommandContext(Boston, actor, role, correlation, channel));
    }

    [Fact]
    public void A_blank_reason_is_no_reason()
    {
        Assert.Null(new CommandContext(Boston, "agent-7", "agent", "corr", "web", "  ").Reason);
    }

    [Fact]
    public void A_blank_or_overlong_idempotency_key_and_a_negative_expected_version_are_refused()
    {
        var context = new CommandContext(Boston, "agent-7", "agent", "corr", "web");

        Assert.Throws<ArgumentException>(() => context with { IdempotencyKey = " " });
        Assert.Throws<ArgumentException>(() => context with { IdempotencyKey = new string('k', 201) });
        Assert.Throws<ArgumentOutOfRangeException>(() => context with { ExpectedVersion = -1 });
        Assert.Equal(0, (context with { ExpectedVersion = 0 }).ExpectedVersion);
    }
}

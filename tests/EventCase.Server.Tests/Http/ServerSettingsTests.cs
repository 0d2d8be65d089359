using EventCase.Server.Hosting;
using EventCase.Server.Tests.Hosting;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>The <c>EventCase</c> settings are checked when the service starts, before it takes a request.</summary>
public sealed class ServerSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("ReadinessTimeoutSeconds", "0", "EventCase:ReadinessTimeoutSeconds is 0; it must be above 0 and at most 3600 (seconds).")]
    [InlineData("ReadinessTimeoutSeconds", "NaN", "EventCase:ReadinessTimeoutSeconds is NaN; it must be above 0 and at most 3600 (seconds).")]
    [InlineData("ReadinessMaxProjectionLagSeconds", "0", "EventCase:ReadinessMaxProjectionLagSeconds is 0; it must be above 0 and at most 604800 (seconds).")]
    [InlineData("MaxRequestBodyBytes", "-1", "EventCase:MaxRequestBodyBytes is -1; it must be at least 1024 (bytes).")]
    [InlineData("ReopenWindowDays", "-3", "EventCase:ReopenWindowDays is -3; it must be 0 or more (days).")]
    [InlineData("StartupTimeoutSeconds", "-1", "EventCase:StartupTimeoutSeconds is -1; it must be 0 or more and at most 3600 (seconds).")]
    public void An_unusable_setting_is_refused_naming_the_setting_its_value_and_its_range(string setting, string value, string message)
    {
        var settings = new ServerSettings();
        var property = typeof(ServerSettings).GetProperty(setting)!;
        property.SetValue(settings, Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture));

        var result = new ServerSettingsValidation().Validate(null, settings);

        Assert.True(result.Failed);
        Assert.Equal([message], result.Failures);
    }

    [Fact]
    public void The_default_settings_are_usable()
    {
        Assert.True(new ServerSettingsValidation().Validate(null, new ServerSettings()).Succeeded);
    }

    [Fact]
    public async Task A_service_configured_with_an_unusable_setting_does_not_start_and_says_which_setting_and_why_in_one_line()
    {
        // Nothing listens at the database's address: the settings are refused before it is looked for.
        var (exit, log, error) = await ServerProcess.RunUntilExitAsync(
            ["--urls", "http://127.0.0.1:0", "--ConnectionStrings:EventCase", "Host=127.0.0.1;Port=1;Username=nobody", "--Auth:SigningKey", SigningKey,
                "--EventCase:ReadinessTimeoutSeconds", "0"], Ct);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("error: EventCase:ReadinessTimeoutSeconds is 0; it must be above 0 and at most 3600 (seconds).", line.TrimEnd());
        Assert.DoesNotContain("   at ", log + error, StringComparison.Ordinal);
        Assert.DoesNotContain("The database is not reachable yet", log, StringComparison.Ordinal);
    }
}

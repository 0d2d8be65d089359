using EventCase.Server.Hosting;
using EventCase.Server.Open311;
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
    public void A_case_number_prefix_that_no_case_number_can_have_is_refused_naming_the_agency_instead_of_failing_every_open()
    {
        var settings = new ServerSettings
        {
            CasePrefixes = new(StringComparer.Ordinal) { ["ogdenville"] = "og", ["springfield"] = "SPR", ["Demo City"] = "DEMO" },
        };

        var result = new ServerSettingsValidation().Validate(null, settings);

        Assert.Equal(
            [
                "EventCase:CasePrefixes:ogdenville is 'og'; it must be 2–8 upper-case letters or digits starting with a letter (e.g. SPR).",
                "EventCase:CasePrefixes has an entry for 'Demo City', which is no agency id: an agency id is 1–64 letters, digits, '-', '_' or '.'.",
            ],
            result.Failures);
    }

    [Fact]
    public void The_default_settings_are_usable()
    {
        Assert.True(new ServerSettingsValidation().Validate(null, new ServerSettings()).Succeeded);
    }

    [Fact]
    public void Open311_settings_name_each_client_that_cannot_be_used_by_its_name_never_by_its_key()
    {
        var settings = new Open311Settings
        {
            PublicAgency = "demo city",
            Clients = new(StringComparer.Ordinal)
            {
                ["secret-key-1"] = new Open311Client { Agency = "", Role = "agent", Name = "intake app" },
                ["secret-key-2"] = new Open311Client { Agency = "demo-city", Role = "citizen" },
                ["secret-key-3"] = new Open311Client { Agency = "demo-city", Role = "agent", Name = "fine" },
            },
        };

        var failures = new Open311SettingsValidation().Validate(null, settings).Failures!.ToList();

        Assert.Equal(3, failures.Count);
        Assert.StartsWith("Open311:PublicAgency is 'demo city': ", failures[0], StringComparison.Ordinal);
        Assert.StartsWith("Open311:Clients: client 'intake app' has Agency '': ", failures[1], StringComparison.Ordinal);
        Assert.Equal("Open311:Clients: the client at position 2 (no Name) has Role 'citizen'; it must be one of agent, supervisor, admin, auditor.", failures[2]);
        Assert.DoesNotContain(failures, f => f.Contains("secret-key", StringComparison.Ordinal));
        Assert.True(new Open311SettingsValidation().Validate(null, new Open311Settings()).Succeeded);
    }

    [Fact]
    public async Task A_service_with_an_open311_client_it_cannot_use_does_not_start_and_says_which_in_one_line()
    {
        var (exit, log, error) = await ServerProcess.RunUntilExitAsync(
            ["--urls", "http://127.0.0.1:0", "--ConnectionStrings:EventCase", "Host=127.0.0.1;Port=1;Username=nobody", "--Auth:SigningKey", SigningKey,
                "--Open311:Clients:k1:Agency", "Demo City", "--Open311:Clients:k1:Name", "kiosk"], Ct);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: Open311:Clients: client 'kiosk' has Agency 'Demo City': ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log + error, StringComparison.Ordinal);
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

using EventCase.Server.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace EventCase.Server.Tests.Http;

/// <summary>The <c>EventCase</c> settings are checked when the service starts, before it takes a request.</summary>
public sealed class ServerSettingsTests
{
    [Theory]
    [InlineData("ReadinessTimeoutSeconds", "0", "EventCase:ReadinessTimeoutSeconds is 0; it must be above 0 and at most 3600 (seconds).")]
    [InlineData("ReadinessTimeoutSeconds", "NaN", "EventCase:ReadinessTimeoutSeconds is NaN; it must be above 0 and at most 3600 (seconds).")]
    [InlineData("MaxRequestBodyBytes", "-1", "EventCase:MaxRequestBodyBytes is -1; it must be at least 1024 (bytes).")]
    [InlineData("ReopenWindowDays", "-3", "EventCase:ReopenWindowDays is -3; it must be 0 or more (days).")]
    [InlineData("StartupTimeoutSeconds", "-1", "EventCase:StartupTimeoutSeconds is -1; it must be 0 or more and at most 3600 (seconds).")]
    public void A_service_configured_with_an_unusable_setting_does_not_start_and_says_which_setting_and_why(string setting, string value, string message)
    {
        using var factory = new WebApplicationFactory<TokenKeys>().WithWebHostBuilder(builder =>
        {
            // Nothing listens there: the settings are refused before the database is looked for.
            builder.UseSetting("ConnectionStrings:EventCase", "Host=127.0.0.1;Port=1;Username=nobody");
            builder.UseSetting("EventCase:" + setting, value);
        });

        var refused = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains(message, refused.Failures);
    }
}

using Microsoft.Extensions.Options;

namespace EventCase.Hosting;

/// <summary>
/// Checks <see cref="EventCaseOptions"/> when the host starts (and whenever the options are read): agencies present,
/// ids unique and well-formed, every catalog with at least one service, calendars, prefixes and routing rules usable.
/// A failure lists every problem, each naming the agency and the setting.
/// </summary>
public sealed class EventCaseOptionsValidator : IValidateOptions<EventCaseOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EventCaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (_, problems) = ConfiguredAgency.FromOptions(options);
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => "EventCase: " + p));
    }
}

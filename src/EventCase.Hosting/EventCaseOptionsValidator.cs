using Microsoft.Extensions.Options;

namespace EventCase.Hosting;

/// <summary>
/// Checks <see cref="EventCaseOptions"/> when the host starts (and whenever the options are read), before anything
/// touches a database: agencies present, ids unique and well-formed, every catalog with at least one service, calendars,
/// prefixes and routing rules usable, the host's own projections registrable beside the built-in ones, and the
/// projection daemon's settings in range. A failure lists every problem, each naming the agency, the projection or the
/// setting.
/// </summary>
public sealed class EventCaseOptionsValidator : IValidateOptions<EventCaseOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EventCaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (_, agencyProblems) = ConfiguredAgency.FromOptions(options);
        // The daemon's settings are checked even when this node does not run it: a configuration that would fail on
        // the node that does is better refused everywhere, at once.
        IEnumerable<string> daemonProblems = options.ProjectionDaemon is null
            ? ["ProjectionDaemon is null; leave the default settings or give some."]
            : options.ProjectionDaemon.FindProblems().Select(p => "ProjectionDaemon." + p);
        var projectionProblems = EventCaseStorage.FindProjectionProblems([.. options.Projections]).Select(p => "Projections: " + p);
        var problems = agencyProblems.Concat(projectionProblems).Concat(daemonProblems).ToList();
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => "EventCase: " + p));
    }
}

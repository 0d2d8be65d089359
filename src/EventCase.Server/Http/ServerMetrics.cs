using System.Diagnostics.Metrics;

namespace EventCase.Server.Http;

/// <summary>
/// The service's own metrics (meter <c>EventCase.Server</c>); request durations come from ASP.NET Core's
/// <c>Microsoft.AspNetCore.Hosting</c> meter. Collect them with any OpenTelemetry or <c>dotnet-counters</c> listener.
/// </summary>
public static class ServerMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "EventCase.Server";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Commands = Meter.CreateCounter<long>(
        "eventcase.commands", "{command}", "Case commands by action and outcome (accepted, already-applied, rejected, precondition-failed, conflict).");

    /// <summary>Counts one case command.</summary>
    public static void CommandHandled(string action, string outcome) =>
        Commands.Add(1, new KeyValuePair<string, object?>("action", action), new KeyValuePair<string, object?>("outcome", outcome));
}

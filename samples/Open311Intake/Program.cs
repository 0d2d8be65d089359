namespace Open311Intake;

// A class of its own namespace rather than top-level statements: the tests reference this assembly and the server's,
// and both would otherwise define a global Program.
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Open311Intake/1.0 (EventCase sample)");
        var host = new IntakeHost(http, Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System);
        return await IntakeCli.RunAsync(args, host, cancellation.Token);
    }
}

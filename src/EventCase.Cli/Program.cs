using EventCase.Cli;
using Spectre.Console;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await EventCaseCli.RunAsync(args, AnsiConsole.Console, Console.Error, cancellation.Token);

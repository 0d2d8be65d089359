using EventCase.Cli;
using Spectre.Console;

// Not disposed: the handlers of a signal run one after the other on a thread of their own, and System.CommandLine's,
// which cancels the command and waits for it to end, can run first, so this one can run after the command has ended
// and Main has returned (a disposed source would throw there, and abort the process instead of exit code 130).
var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

var console = Console.IsOutputRedirected ? EventCaseCli.CreateRedirectedConsole(Console.Out) : AnsiConsole.Console;
// Progress bars go with the output to a terminal, and to standard error when the output is kept in a file or a pipe.
var progress = Console.IsOutputRedirected ? EventCaseCli.CreateProgressConsole(Console.Error, Console.IsErrorRedirected) : console;
return await EventCaseCli.RunAsync(args, console, Console.Error, cancellation.Token, progress);

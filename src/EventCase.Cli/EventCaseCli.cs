using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;
using EventCase.Cli.Audit;
using EventCase.Cli.Db;
using EventCase.Cli.Hosting;
using EventCase.EventStore.Embedded;
using EventCase.Cli.Import;
using EventCase.Cli.Reports;
using EventCase.Cli.Serve;
using EventCase.Cli.Projections;
using EventCase.Cli.Replay;
using EventCase.Import.Running;
using Spectre.Console;

namespace EventCase.Cli;

/// <summary>Builds and runs the <c>eventcase</c> command line.</summary>
internal static class EventCaseCli
{
    public static RootCommand Build(IAnsiConsole console, IAnsiConsole? progress = null)
    {
        var root = new RootCommand("EventCase: an event-sourced case management engine for public agencies")
        {
            GlobalOptions.ConnectionOption,
            GlobalOptions.DataDirectoryOption,
            GlobalOptions.SchemaOption,
            GlobalOptions.VerboseOption,
        };
        root.Subcommands.Add(DbCommands.Create(console));
        root.Subcommands.Add(ReplayCommand.Create(console));
        progress ??= console;
        root.Subcommands.Add(ProjectionCommands.Create(console, progress));
        root.Subcommands.Add(AuditCommands.Create(console, progress));
        root.Subcommands.Add(ImportCommand.Create(console, progress));
        root.Subcommands.Add(ReportCommands.Create(console));
        root.Subcommands.Add(Restore.AdoptRestoredLogCommand.Create(console));
        root.Subcommands.Insert(0, ServeCommand.Create());
        CommandExamples.ShowInHelp(root);
        return root;
    }

    /// <summary>
    /// How wide tables may grow when standard output is a file or a pipe. Spectre.Console cannot ask a file its width
    /// and takes 80 columns, which wrapped cells mid-word and mid-number ("16,00" over "3") in the logs of scheduled
    /// runs; 400 still wrapped a replay's steps, whose reasons are up to 2,000 characters beside all that the opening
    /// step set. Tables are as wide as their content, so this is only a bound no row of ours reaches.
    /// </summary>
    public const int RedirectedWidth = 100_000;

    /// <summary>
    /// The console for standard output redirected to a file or a pipe: no escape codes (colours, cursor moves) and
    /// tables <see cref="RedirectedWidth"/> wide, so that what a script or a log keeps is plain text, a row per line.
    /// </summary>
    public static IAnsiConsole CreateRedirectedConsole(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = RedirectedWidth;
        return console;
    }

    /// <summary>
    /// The console progress bars go to when standard output is a file or a pipe: standard error, live when that is a
    /// terminal, as plain lines otherwise (the conventional place, as curl and git put theirs).
    /// </summary>
    public static IAnsiConsole CreateProgressConsole(TextWriter error, bool errorRedirected) =>
        errorRedirected ? CreateRedirectedConsole(error) : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });

    /// <summary>
    /// Runs the command line. Errors are one line on <paramref name="error"/> and an exit code (<see cref="ExitCodes"/>);
    /// with <c>--verbose</c> the stack trace follows the line.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="console">Where commands write their output.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl-C.</param>
    /// <param name="progress">
    /// Where progress bars go: <paramref name="console"/> by default; standard error when the output is a file or a pipe
    /// (<see cref="CreateProgressConsole"/>), so that what a script keeps of the output holds no progress lines.
    /// </param>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken = default, IAnsiConsole? progress = null)
    {
        var root = Build(console, progress);
        var commandToken = ObserveCommandTokens(root);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One clear line, not a page of help: the user asked for something specific.
            await error.WriteLineAsync($"error: {string.Join("; ", parsed.Errors.Select(e => CommandFailure.OneLine(e.Message)))}{HelpHint(parsed, root)}");
            return ExitCodes.BadArguments;
        }

        try
        {
            return await parsed.InvokeAsync(
                new InvocationConfiguration
                {
                    Error = error,
                    Output = console.Profile.Out.Writer,
                    EnableDefaultExceptionHandler = false,

                    // On Ctrl-C or SIGTERM System.CommandLine cancels the command and, if it has not returned by then,
                    // ends the invocation (exit code 130 or 143) without what the command would print. Its default of
                    // 2 s is about Npgsql's own cancellation timeout: an import stopping its appends could lose the
                    // report of what it committed. A command that does not stop within this is still ended.
                    ProcessTerminationTimeout = TimeSpan.FromSeconds(10),
                },
                cancellationToken);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested || commandToken.Value.IsCancellationRequested
            || e is OperationCanceledException { CancellationToken.IsCancellationRequested: true })
        {
            // Any token: on Ctrl-C System.CommandLine's own handler cancels the command's token, and the one given here
            // only once the command has ended (Program.cs), so the command's is the one to ask. Any exception: what a
            // cancellation surfaces as is not always an OperationCanceledException. In a terminal Ctrl-C interrupts the
            // whole process group, the embedded PostgreSQL's pg_ctl and initdb too, which then fail with their own exit
            // code 130 ("PostgreSQL did not start", "did not stop"), and each exited 1 as if the command had failed on
            // its own: the user had stopped it. With --verbose, what it surfaced as follows the line.
            // A cancelled import says what it had committed and that running it again resumes; anything else was only stopped.
            await error.WriteLineAsync(e is ImportCancelledException cancelled ? cancelled.Message : "cancelled");
            if (e is not OperationCanceledException && parsed.GetValue(GlobalOptions.VerboseOption))
            {
                await error.WriteLineAsync(e.ToString());
            }

            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            // Every failure ends here as one line, whatever it is: a stack trace is no answer for an operator, and an
            // unhandled exception would abort the process (exit code 134) instead of giving a code scripts can act on.
            var failure = CommandFailure.From(e, string.Join(' ', CommandPath(parsed.CommandResult)));
            var verbose = parsed.GetValue(GlobalOptions.VerboseOption);
            await error.WriteLineAsync("error: " + failure.Message + (failure.ExitCode == ExitCodes.BadArguments ? HelpHint(parsed, root) : ""));
            if (verbose)
            {
                await error.WriteLineAsync(e.ToString());
            }

            return failure.ExitCode;
        }
    }

    /// <summary>
    /// Wraps every command's action so that the token System.CommandLine gives it can be asked once it has ended: the
    /// token that Ctrl-C cancels first (see <see cref="RunAsync"/>). Default until a command runs.
    /// </summary>
    private static StrongBox<CancellationToken> ObserveCommandTokens(Command command)
    {
        var token = new StrongBox<CancellationToken>();
        Observe(command);
        return token;

        void Observe(Command current)
        {
            if (current.Action is AsynchronousCommandLineAction action)
            {
                current.Action = new TokenObservingAction(action, token);
            }

            foreach (var subcommand in current.Subcommands)
            {
                Observe(subcommand);
            }
        }
    }

    /// <summary>
    /// A command's action, noting the token it is given before it runs, and waiting for the Ctrl-C that interrupted the
    /// embedded PostgreSQL's programs to reach this process too.
    /// </summary>
    private sealed class TokenObservingAction(AsynchronousCommandLineAction action, StrongBox<CancellationToken> token) : AsynchronousCommandLineAction
    {
        /// <summary>How long an interrupted program's failure waits for this process's own cancellation.</summary>
        private static readonly TimeSpan SignalGrace = TimeSpan.FromSeconds(1);

        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            token.Value = cancellationToken;
            try
            {
                var exitCode = await action.InvokeAsync(parseResult, cancellationToken);

                // Interrupted as it ended, most often while the embedded PostgreSQL it had started was stopped, which is
                // let finish: Ctrl-C is still exit code 130, as the README promises scripts. `serve` is the exception:
                // Ctrl-C is how it is stopped.
                if (cancellationToken.IsCancellationRequested && parseResult.CommandResult.Command.Name != "serve")
                {
                    throw new OperationCanceledException("interrupted as the command ended", cancellationToken);
                }

                return exitCode;
            }
            catch (EmbeddedPostgresException e) when (e.ProgramExitCode == ExitCodes.Cancelled && !cancellationToken.IsCancellationRequested)
            {
                // initdb or pg_ctl ended by SIGINT (where setsid(1) is missing: OsProcess otherwise runs them out of the
                // terminal's process group): Ctrl-C in a terminal reaches every process of the group at once, and
                // the child's exit can be seen before this process's own handler has cancelled the command (once in CI:
                // exit code 1, "initdb failed (exit code 130)"). The wait is here, inside the action, because
                // System.CommandLine's handler, run once the action has returned, cancelled a source it had disposed
                // and aborted the process (exit code 134). Without a cancellation to follow, it is a failure as any other.
                try
                {
                    await Task.Delay(SignalGrace, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    throw new OperationCanceledException("the embedded PostgreSQL was interrupted with this command", e, cancellationToken);
                }

                throw;
            }
        }
    }

    private static string HelpHint(ParseResult parsed, RootCommand root)
    {
        var command = string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : CommandPath(parsed.CommandResult));
        return $" (see `eventcase {command}{(command.Length > 0 ? " " : "")}--help`)";
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current?.Parent is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(current.Command.Name);
        }

        return names;
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace EventCase.Cli.Hosting;

/// <summary>
/// Examples shown at the end of a command's <c>--help</c>, under "Examples:". System.CommandLine's help has no place for
/// them, and a description is also the command's one line in its parent's list, so they are kept beside the command and
/// printed after the help it writes.
/// </summary>
internal static class CommandExamples
{
    private static readonly ConditionalWeakTable<Command, IReadOnlyList<string>> Examples = new();

    private static readonly ConditionalWeakTable<Command, Option[]> Omitted = new();

    /// <summary>Taken while options are hidden for one command's help, so that no other help printed meanwhile misses them.</summary>
    private static readonly Lock HelpLock = new();

    /// <summary>Shows <paramref name="examples"/> (whole command lines, each starting with <c>eventcase</c>) in the command's help.</summary>
    public static void AddExamples(this Command command, params string[] examples) => Examples.AddOrUpdate(command, examples);

    /// <summary>
    /// Leaves <paramref name="options"/>, recursive options of a parent that <paramref name="command"/> refuses, out of
    /// its help: System.CommandLine lists every recursive option under every command, and `eventcase db --help` offered
    /// --connection and --schema, which the db commands refuse.
    /// </summary>
    public static void OmitFromHelp(this Command command, params Option[] options) => Omitted.AddOrUpdate(command, options);

    /// <summary>The command's examples; empty when it has none.</summary>
    public static IReadOnlyList<string> Of(Command command) => Examples.TryGetValue(command, out var examples) ? examples : [];

    /// <summary>Makes the help option of <paramref name="root"/> (which every command shares) print each command's examples after its help.</summary>
    public static void ShowInHelp(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is SynchronousCommandLineAction original)
        {
            help.Action = new HelpWithExamples(original);
        }
    }

    private sealed class HelpWithExamples(SynchronousCommandLineAction help) : SynchronousCommandLineAction
    {
        // As the help it wraps: `replay --help` without the required --agency is help, not an error.
        public override bool ClearsParseErrors => help.ClearsParseErrors;

        public override bool Terminating => help.Terminating;

        public override int Invoke(ParseResult parseResult)
        {
            var exit = InvokeHelp(parseResult);
            var examples = Of(parseResult.CommandResult.Command);
            if (examples.Count > 0)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine("  " + example);
                }

                output.WriteLine();
            }

            return exit;
        }

        private int InvokeHelp(ParseResult parseResult)
        {
            lock (HelpLock)
            {
                // Hidden is the only way System.CommandLine's help (whose builder is internal) leaves an option out; the
                // options are shared by every command, hence the lock and putting them back.
                var omitted = Omitted.TryGetValue(parseResult.CommandResult.Command, out var options) ? options.Where(o => !o.Hidden).ToList() : [];
                omitted.ForEach(o => o.Hidden = true);
                try
                {
                    return help.Invoke(parseResult);
                }
                finally
                {
                    omitted.ForEach(o => o.Hidden = false);
                }
            }
        }
    }
}

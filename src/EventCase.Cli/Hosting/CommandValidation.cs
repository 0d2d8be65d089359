using System.CommandLine;
using System.CommandLine.Parsing;

namespace EventCase.Cli.Hosting;

/// <summary>Command validators that cross-check option values.</summary>
internal static class CommandValidation
{
    /// <summary>
    /// Adds a validator that reads option values. A value that does not parse (<c>--version abc</c>) makes reading it
    /// throw; the parser reports that value as an error of its own, so the cross-checks are skipped rather than
    /// turning a typo into a crash.
    /// </summary>
    public static void AddValidator(this Command command, Action<CommandResult> validate) =>
        command.Validators.Add(SkippingUnparsableValues(validate));

    /// <summary>Adds a validator of an option's value, skipped (like the command's) when the value does not parse.</summary>
    public static void AddValidator(this Option option, Action<OptionResult> validate) =>
        option.Validators.Add(SkippingUnparsableValues(validate));

    private static Action<T> SkippingUnparsableValues<T>(Action<T> validate) => result =>
    {
        try
        {
            validate(result);
        }
        catch (InvalidOperationException)
        {
            // An unparsable value; the parse error names it.
        }
    };
}

using System.CommandLine;
using EventCase.EventStore;

namespace EventCase.Cli.Hosting;

/// <summary>
/// Checks of the ids options take (agencies, streams, cases), made while parsing with the store's own rules, so that a
/// malformed id is a bad argument naming the option (exit code 2), not a library's error about its parameter.
/// </summary>
internal static class IdentifierValidation
{
    /// <summary>The option takes an agency (tenant) id: 1–64 letters, digits, '-', '_' or '.'.</summary>
    public static void AcceptOnlyTenantIds(this Option option) =>
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } value && !IsTenantId(value))
            {
                r.AddError($"{option.Name} '{value}' is not an agency id: 1–64 letters, digits, '-', '_' or '.'.");
            }
        });

    /// <summary>The option takes a stream id: 1–200 characters, no control characters.</summary>
    public static void AcceptOnlyStreamIds(this Option option) =>
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } value && !IsStreamId(value))
            {
                r.AddError($"{option.Name} '{value}' is not a stream id: 1–{StreamName.MaxIdLength} characters, no control characters.");
            }
        });

    /// <summary>The argument takes a case id (a stream id) or a case number.</summary>
    public static void AcceptOnlyCaseIds(this Argument<string> argument) =>
        argument.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } value && !IsStreamId(value))
            {
                r.AddError($"'{value}' is not a case id or number: 1–{StreamName.MaxIdLength} characters, no control characters.");
            }
        });

    /// <summary>Whether <paramref name="value"/> is an agency (tenant) id by the store's rules.</summary>
    public static bool IsTenantId(string value)
    {
        try
        {
            StreamName.ValidateTenant(value);
            return true;
        }
        catch (InvalidEventStoreArgumentException)
        {
            return false;
        }
    }

    private static bool IsStreamId(string value)
    {
        try
        {
            new StreamName("tenant", value).Validate();
            return true;
        }
        catch (InvalidEventStoreArgumentException)
        {
            return false;
        }
    }
}

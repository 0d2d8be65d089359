using System.Globalization;
using System.Text.Json.Serialization;
using NodaTime;

namespace EventCase.Cases.Sla;

/// <summary>How an SLA target is measured.</summary>
public enum SlaTargetKind
{
    /// <summary>Business time on the agency's calendar (working hours, no holidays).</summary>
    BusinessHours,

    /// <summary>Calendar days in the agency's time zone: due at the same local time N days later.</summary>
    CalendarDays,
}

/// <summary>
/// A service-level target: an amount of business time (e.g. 16 business hours) or a number of calendar days.
/// Snapshotted onto each case when it opens, so later catalog changes do not rewrite old clocks.
/// </summary>
public sealed record SlaTarget
{
    /// <summary>Creates a target.</summary>
    /// <param name="kind">How the amount is measured.</param>
    /// <param name="amount">Business time for <see cref="SlaTargetKind.BusinessHours"/>; a whole number of days for
    /// <see cref="SlaTargetKind.CalendarDays"/>. Must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">The amount is not positive, or not whole days for a calendar-day target.</exception>
    public SlaTarget(SlaTargetKind kind, Duration amount)
    {
        if (amount <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "An SLA target must be positive.");
        }

        if (kind == SlaTargetKind.CalendarDays && amount.BclCompatibleTicks % NodaConstants.TicksPerDay != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "A calendar-day SLA target must be a whole number of days.");
        }

        Kind = kind;
        Amount = amount;
    }

    /// <summary>How the amount is measured.</summary>
    public SlaTargetKind Kind { get; }

    /// <summary>The business time, or the whole days, allowed.</summary>
    public Duration Amount { get; }

    /// <summary>For calendar-day targets, the number of days. Derived from <see cref="Amount"/>, so not stored.</summary>
    [JsonIgnore]
    public int Days => (int)(Amount.BclCompatibleTicks / NodaConstants.TicksPerDay);

    /// <summary>A target of <paramref name="hours"/> business hours.</summary>
    public static SlaTarget BusinessHours(int hours) => new(SlaTargetKind.BusinessHours, Duration.FromHours(hours));

    /// <summary>A target of <paramref name="businessTime"/> business time.</summary>
    public static SlaTarget BusinessTime(Duration businessTime) => new(SlaTargetKind.BusinessHours, businessTime);

    /// <summary>A target of <paramref name="days"/> calendar days.</summary>
    public static SlaTarget CalendarDays(int days) => new(SlaTargetKind.CalendarDays, Duration.FromDays(days));

    /// <inheritdoc />
    public override string ToString() => Kind == SlaTargetKind.CalendarDays
        ? string.Create(CultureInfo.InvariantCulture, $"{Days} calendar days")
        : string.Create(CultureInfo.InvariantCulture, $"{Amount.TotalHours:0.##} business hours");
}

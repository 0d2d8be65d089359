using System.Text.Json.Serialization;
using EventCase.EventStore.Serialization;

namespace EventCase.Cases;

/// <summary>Where a request came in or a contact took place.</summary>
public enum Channel
{
    /// <summary>A web form or portal.</summary>
    Web,

    /// <summary>A phone call (for example the 311 call centre).</summary>
    Phone,

    /// <summary>An e-mail.</summary>
    Email,

    /// <summary>A text message.</summary>
    Sms,

    /// <summary>At a counter or in the field.</summary>
    InPerson,

    /// <summary>Another system through the API (for example an Open311 client app).</summary>
    Api,
}

/// <summary>How urgent a case is. Work queues order by priority (highest first), then SLA due.</summary>
public enum CasePriority
{
    /// <summary>Can wait.</summary>
    Low,

    /// <summary>The usual priority.</summary>
    Normal,

    /// <summary>Ahead of normal work.</summary>
    High,

    /// <summary>A hazard or an emergency: first in every queue.</summary>
    Urgent,
}

/// <summary>A WGS 84 coordinate.</summary>
/// <param name="Latitude">Degrees north, −90 to 90.</param>
/// <param name="Longitude">Degrees east, −180 to 180.</param>
public sealed record GeoPoint(double Latitude, double Longitude)
{
    /// <summary>True when both coordinates are finite and within range. Derived, so not stored.</summary>
    [JsonIgnore]
    public bool IsValid =>
        double.IsFinite(Latitude) && double.IsFinite(Longitude)
        && Latitude is >= -90 and <= 90 && Longitude is >= -180 and <= 180;
}

/// <summary>Where the case is: a coordinate, an address, or both (at least one).</summary>
/// <param name="Point">The coordinate, if known. Kept in clear so that maps and area statistics survive erasure.</param>
/// <param name="Address">The street address as given, if any. Personal data: it may be where the citizen lives.</param>
public sealed record CaseLocation(GeoPoint? Point, [property: PersonalData] string? Address);

/// <summary>Who asked, as far as the agency knows. Everything but the reference is personal data.</summary>
/// <param name="Reference">A pseudonymous reference to the data subject (their account or contact id). It is the key
/// under which their personal data will be encrypted, so it is not itself marked as personal data.</param>
/// <param name="Name">The citizen's name, if given.</param>
/// <param name="Email">The citizen's e-mail address, if given.</param>
/// <param name="Phone">The citizen's phone number, if given.</param>
public sealed record CitizenContact(
    string Reference,
    [property: PersonalData] string? Name = null,
    [property: PersonalData] string? Email = null,
    [property: PersonalData] string? Phone = null);

/// <summary>Who works on a case: a team and, optionally, one agent in it.</summary>
/// <param name="Team">The team responsible.</param>
/// <param name="Agent">The agent working the case, if one was picked.</param>
public sealed record Assignment(TeamId Team, AgentId? Agent = null)
{
    /// <inheritdoc />
    public override string ToString() => Agent is null ? $"team {Team}" : $"agent {Agent} of team {Team}";
}

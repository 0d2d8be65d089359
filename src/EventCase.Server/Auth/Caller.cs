using System.Security.Claims;
using EventCase.Cases;

namespace EventCase.Server.Auth;

/// <summary>The roles a token can carry.</summary>
public static class Roles
{
    /// <summary>A member of the public: only their own cases, only public notes.</summary>
    public const string Citizen = "citizen";

    /// <summary>A caseworker.</summary>
    public const string Agent = "agent";

    /// <summary>A team lead: also transfers and de-escalations.</summary>
    public const string Supervisor = "supervisor";

    /// <summary>Read-only, everything including the full history and the audit trail.</summary>
    public const string Auditor = "auditor";

    /// <summary>Configures the catalog, routing and calendars, and can do what staff can.</summary>
    public const string Admin = "admin";

    /// <summary>Every role.</summary>
    public static IReadOnlyList<string> All { get; } = [Citizen, Agent, Supervisor, Auditor, Admin];
}

/// <summary>The claims of an EventCase token.</summary>
public static class EventCaseClaims
{
    /// <summary>The subject (who acts).</summary>
    public const string Subject = "sub";

    /// <summary>The role.</summary>
    public const string Role = "role";

    /// <summary>The agency every read and write is scoped to.</summary>
    public const string Agency = "agency";

    /// <summary>A citizen's reference (matched against the case's citizen reference).</summary>
    public const string Citizen = "citizen";
}

/// <summary>The authorization policies of the routes.</summary>
public static class Policies
{
    /// <summary>Any role with an agency: reads (citizens then see only their own cases).</summary>
    public const string Read = "read";

    /// <summary>Citizens and staff (not auditors): opening cases and the citizen's own commands.</summary>
    public const string Participate = "participate";

    /// <summary>Agents, supervisors, admins: case commands and staff lists.</summary>
    public const string Staff = "staff";

    /// <summary>Supervisors and admins.</summary>
    public const string Supervise = "supervise";

    /// <summary>Staff and auditors: lists, queues, SLA and statistics.</summary>
    public const string StaffOrAuditor = "staff-or-auditor";

    /// <summary>Auditors, supervisors and admins: the audit trail.</summary>
    public const string Audit = "audit";

    /// <summary>Admins only.</summary>
    public const string Admin = "admin";
}

/// <summary>Who is calling, from their token: the subject, role, agency and (for citizens) their reference.</summary>
/// <param name="Subject">Who acts.</param>
/// <param name="Role">Their role.</param>
/// <param name="Agency">The agency they act for.</param>
/// <param name="CitizenReference">For citizens, their reference.</param>
public sealed record Caller(string Subject, string Role, AgencyId Agency, string? CitizenReference)
{
    /// <summary>True for the citizen role.</summary>
    public bool IsCitizen => Role == Roles.Citizen;

    /// <summary>The longest subject a token may carry: what the audit trail's actor route can name.</summary>
    public const int MaxSubjectLength = 200;

    /// <summary>The caller of an authorized request. The policies guarantee a role, a valid agency claim and a subject.</summary>
    public static Caller From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var role = user.FindFirst(EventCaseClaims.Role)?.Value ?? "";
        var agency = new AgencyId(user.FindFirst(EventCaseClaims.Agency)!.Value);
        var subject = user.FindFirst(EventCaseClaims.Subject)!.Value;
        var citizen = user.FindFirst(EventCaseClaims.Citizen)?.Value;
        return new Caller(subject, role, agency, string.IsNullOrWhiteSpace(citizen) ? null : citizen);
    }

    /// <summary>
    /// True when the token's claims make a caller: a valid agency id, a subject that names the actor, and a citizen
    /// reference (where given) of text the service can store (<see cref="Http.Validation.IsAcceptedText"/>). Both are
    /// written into events and compared in SQL, so a claim PostgreSQL would refuse (a NUL) must not get that far. The
    /// subject is the actor of every event the caller writes and the <c>{actorId}</c> of the audit trail's actor route:
    /// a token without one would act as nobody, and one the route cannot take (blank, over
    /// <see cref="MaxSubjectLength"/> characters, more than one line) would leave a trail nobody can ask for. Each of
    /// the four claims is given at most once (a JSON list of two is two claims): the role policies admit a request when
    /// any role claim matches, while the caller is the first role, agency, subject and citizen reference, so a token
    /// naming two would be authorized as one role and act and be recorded as another, in whichever agency came first.
    /// </summary>
    public static bool HasValidClaims(ClaimsPrincipal user)
    {
        if (user is null || Claims.Any(type => user.FindAll(type).Skip(1).Any()))
        {
            return false;
        }

        var value = user.FindFirst(EventCaseClaims.Agency)?.Value;
        if (string.IsNullOrEmpty(value) || !IsActor(user.FindFirst(EventCaseClaims.Subject)?.Value)
            || !IsStorableText(user.FindFirst(EventCaseClaims.Citizen)?.Value))
        {
            return false;
        }

        try
        {
            _ = new AgencyId(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static readonly string[] Claims = [EventCaseClaims.Subject, EventCaseClaims.Role, EventCaseClaims.Agency, EventCaseClaims.Citizen];

    private static bool IsStorableText(string? claim) => claim is null || Http.Validation.IsAcceptedText(claim);

    private static bool IsActor(string? subject) =>
        !string.IsNullOrWhiteSpace(subject) && subject.Length <= MaxSubjectLength
        && Http.Validation.IsAcceptedText(subject) && !subject.Any(char.IsControl);
}

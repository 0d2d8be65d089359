using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EventCase.Server.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthSettings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Auth";

    /// <summary>The HS256 signing key (at least 32 bytes of text). Required outside Development.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>The issuer tokens must name.</summary>
    public string Issuer { get; set; } = "eventcase";

    /// <summary>The audience tokens must name.</summary>
    public string Audience { get; set; } = "eventcase";
}

/// <summary>The key tokens are signed and checked with.</summary>
/// <param name="Key">The symmetric key.</param>
/// <param name="Settings">Issuer and audience.</param>
/// <param name="IsGenerated">True when no key was configured and a random development key is used.</param>
public sealed record TokenKeys(SymmetricSecurityKey Key, AuthSettings Settings, bool IsGenerated)
{
    /// <summary>Issues a token (the dev-token endpoint and tests).</summary>
    public string Issue(string subject, string role, string agency, string? citizen, TimeSpan lifetime)
    {
        var claims = new Dictionary<string, object>
        {
            [EventCaseClaims.Subject] = subject,
            [EventCaseClaims.Role] = role,
            [EventCaseClaims.Agency] = agency,
        };
        if (!string.IsNullOrWhiteSpace(citizen))
        {
            claims[EventCaseClaims.Citizen] = citizen;
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Issuer = Settings.Issuer,
            Audience = Settings.Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.Add(lifetime),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }
}

/// <summary>JWT bearer authentication and the role/agency policies.</summary>
public static class AuthSetup
{
    /// <summary>Registers authentication and authorization.</summary>
    public static IServiceCollection AddEventCaseAuth(this IServiceCollection services)
    {
        // Read at resolution time, not while the builder runs, so configuration added by a host (or a test) applies.
        services.AddSingleton(sp => CreateKeys(
            sp.GetRequiredService<IConfiguration>().GetSection(AuthSettings.Section).Get<AuthSettings>() ?? new AuthSettings(),
            sp.GetRequiredService<IHostEnvironment>()));
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenKeys>((options, keys) =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = keys.Settings.Issuer,
                ValidAudience = keys.Settings.Audience,
                IssuerSigningKey = keys.Key,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = EventCaseClaims.Subject,
                RoleClaimType = EventCaseClaims.Role,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => Require(p, Roles.All.ToArray()))
            .AddPolicy(Policies.Participate, p => Require(p, Roles.Citizen, Roles.Agent, Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Staff, p => Require(p, Roles.Agent, Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Supervise, p => Require(p, Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.StaffOrAuditor, p => Require(p, Roles.Agent, Roles.Supervisor, Roles.Auditor, Roles.Admin))
            .AddPolicy(Policies.Audit, p => Require(p, Roles.Auditor, Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Admin, p => Require(p, Roles.Admin));
        return services;
    }

    private static TokenKeys CreateKeys(AuthSettings settings, IHostEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(settings.SigningKey))
        {
            if (!environment.IsDevelopment())
            {
                throw new InvalidOperationException("Auth:SigningKey is not configured. Set it (at least 32 characters) or run in the Development environment, which generates a key.");
            }

            return new TokenKeys(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), settings, IsGenerated: true);
        }

        var bytes = Encoding.UTF8.GetBytes(settings.SigningKey);
        if (bytes.Length < 32)
        {
            throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes long for HS256.");
        }

        return new TokenKeys(new SymmetricSecurityKey(bytes), settings, IsGenerated: false);
    }

    private static void Require(Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder policy, params string[] roles) =>
        policy.RequireAuthenticatedUser()
            .RequireRole(roles)
            .RequireAssertion(c => Caller.HasValidClaims(c.User)
                && (c.User.FindFirst(EventCaseClaims.Role)?.Value != Roles.Citizen
                    || !string.IsNullOrWhiteSpace(c.User.FindFirst(EventCaseClaims.Citizen)?.Value)));
}

/// <summary>The development-only token endpoint.</summary>
public static class DevTokenApi
{
    /// <summary>What a dev token is issued for.</summary>
    /// <param name="Subject">Who (default <c>dev-user</c>).</param>
    /// <param name="Role">The role (default agent).</param>
    /// <param name="Agency">The agency (default <c>demo-city</c>).</param>
    /// <param name="Citizen">For citizens, their reference.</param>
    /// <param name="LifetimeMinutes">Token lifetime, 1–1440 (default 480).</param>
    public sealed record DevTokenRequest(string? Subject, string? Role, string? Agency, string? Citizen, int? LifetimeMinutes);

    /// <summary>The token.</summary>
    /// <param name="AccessToken">The bearer token.</param>
    /// <param name="TokenType">Always <c>Bearer</c>.</param>
    /// <param name="ExpiresIn">Seconds until it expires.</param>
    public sealed record DevTokenResponse(string AccessToken, string TokenType, int ExpiresIn);

    /// <summary>Maps <c>POST /dev/token</c>.</summary>
    public static IEndpointRouteBuilder MapDevTokenApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/dev/token", IssueAsync)
            .WithTags("Development")
            .WithSummary("Issues a token for local use (Development environment only).")
            .Accepts<DevTokenRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .AllowAnonymous();
        return endpoints;
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<DevTokenResponse>, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>> IssueAsync(
        HttpRequest request, TokenKeys keys, CancellationToken cancellationToken)
    {
        var (body, problem) = await Http.JsonBody.ReadAsync<DevTokenRequest>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Http.Validation();
        var role = body!.Role ?? Roles.Agent;
        if (!Roles.All.Contains(role))
        {
            v.Add("role", "must be one of " + string.Join(", ", Roles.All) + ".");
        }

        var agency = v.Value(body.Agency ?? "demo-city", "agency", EventCase.Cases.AgencyId.From);
        var subject = v.Text(body.Subject ?? "dev-user", "subject", Caller.MaxSubjectLength);
        if (subject.Any(char.IsControl))
        {
            // The API refuses a token whose subject is not one line (the audit trail's actor route could not name it).
            v.Add("subject", "must be one line.");
        }

        if (string.IsNullOrWhiteSpace(body.Citizen))
        {
            if (role == Roles.Citizen)
            {
                v.Add("citizen", "is required for the citizen role.");
            }
        }
        else
        {
            // The reference is compared with stored case data for every read the token makes: the same text rules apply.
            v.Text(body.Citizen, "citizen", 200);
        }

        var minutes = body.LifetimeMinutes ?? 480;
        if (minutes is < 1 or > 1440)
        {
            v.Add("lifetimeMinutes", "must be from 1 to 1440.");
        }

        if (!v.IsValid)
        {
            return v.Problem();
        }

        var token = keys.Issue(subject, role, agency!.Value, body.Citizen, TimeSpan.FromMinutes(minutes));
        return TypedResults.Ok(new DevTokenResponse(token, "Bearer", minutes * 60));
    }
}

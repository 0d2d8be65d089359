using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Auth;

/// <summary>
/// Tokens an attacker can make without the signing key, or that the issuer would never have signed as they are: each is
/// <c>401 auth.unauthenticated</c> and writes nothing. The tokens are put together by hand (header, claims, signature) so
/// that what a library would refuse to produce (alg none, duplicate members, an embedded key) can be sent; the control
/// test shows that the same hand-made token, made as the service makes them, is taken.
/// </summary>
public sealed class TokenForgeryTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly byte[] ServiceKey = Encoding.UTF8.GetBytes(SigningKey);

    /// <summary>What is wrong with the token: its header, its claims (as JSON members) and how it is signed.</summary>
    public static TheoryData<string> Forgeries => new()
    {
        "alg none, unsigned",
        "alg none, with the service's signature",
        "HS512 with the service's key",
        "HS256 with another key",
        "HS256 with another key, embedded in the header as a jwk",
        "another issuer",
        "no issuer",
        "another audience",
        "no audience",
        "expired a minute ago",
        "not valid for another ten minutes",
        "no expiry",
        "a claim of 300,000 characters",
        "signature cut short",
    };

    [Fact]
    public async Task A_token_made_by_hand_as_the_service_makes_them_is_taken()
    {
        var id = await server.OpenCaseAsync();

        using var response = await SendAsync(Token(Header(), Claims()), id);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task A_token_not_signed_by_the_service_as_it_stands_is_unauthenticated_and_writes_nothing(string forgery)
    {
        var id = await server.OpenCaseAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var otherKey = RandomNumberGenerator.GetBytes(32);
        var token = forgery switch
        {
            "alg none, unsigned" => Token("""{"alg":"none","typ":"JWT"}""", Claims(), key: null),
            "alg none, with the service's signature" => Token("""{"alg":"none","typ":"JWT"}""", Claims(), sign: HMACSHA256.HashData),
            "HS512 with the service's key" => Token("""{"alg":"HS512","typ":"JWT"}""", Claims(), sign: HMACSHA512.HashData),
            "HS256 with another key" => Token(Header(), Claims(), otherKey),
            "HS256 with another key, embedded in the header as a jwk" =>
                Token($$$"""{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":"{{{Base64Url.EncodeToString(otherKey)}}}"}}""", Claims(), otherKey),
            "another issuer" => Token(Header(), Claims(issuer: "someone-else")),
            "no issuer" => Token(Header(), Claims(issuer: null)),
            "another audience" => Token(Header(), Claims(audience: "another-service")),
            "no audience" => Token(Header(), Claims(audience: null)),
            // Beyond the 30 s the service allows for clocks that differ.
            "expired a minute ago" => Token(Header(), Claims(notBefore: now - 3600, expires: now - 60)),
            "not valid for another ten minutes" => Token(Header(), Claims(notBefore: now + 600)),
            "no expiry" => Token(Header(), Claims(expires: null)),
            "a claim of 300,000 characters" => Token(Header(), Claims(extra: $$""","padding":"{{new string('x', 300_000)}}" """)),
            "signature cut short" => Token(Header(), Claims())[..^4],
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
        var before = await server.EventCountAsync();

        using var response = await SendAsync(token, id);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{forgery}: {(int)response.StatusCode} {text}");
        Assert.Equal("https://eventcase.dev/problems/auth.unauthenticated", JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
        Assert.Equal(before, await server.EventCountAsync());
    }

    /// <summary>The header of a token signed as the service signs them.</summary>
    internal static string Header() => """{"alg":"HS256","typ":"JWT"}""";

    /// <summary>
    /// The claims of an admin of <see cref="AgencyA"/> as JSON members; null leaves a registered claim out, and
    /// <paramref name="extra"/> is appended as written (members with a leading comma).
    /// </summary>
    internal static string Claims(
        string? issuer = "eventcase", string? audience = "eventcase", long? notBefore = 0, long? expires = 0, string role = "\"admin\"", string agency = $"\"{AgencyA}\"", string extra = "")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var members = new List<string> { "\"sub\":\"mallory\"", $"\"role\":{role}", $"\"agency\":{agency}" };
        if (issuer is not null)
        {
            members.Add($"\"iss\":\"{issuer}\"");
        }

        if (audience is not null)
        {
            members.Add($"\"aud\":\"{audience}\"");
        }

        if (notBefore is not null)
        {
            members.Add($"\"nbf\":{(notBefore == 0 ? now - 60 : notBefore)}");
        }

        if (expires is not null)
        {
            members.Add($"\"exp\":{(expires == 0 ? now + 3600 : expires)}");
        }

        return "{" + string.Join(",", members) + extra + "}";
    }

    /// <summary>A compact JWS of <paramref name="header"/> and <paramref name="claims"/> as written, signed with <paramref name="key"/> (none: no signature).</summary>
    internal static string Token(string header, string claims, byte[]? key = null, Func<byte[], byte[], byte[]>? sign = null)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims));
        if (key is null && sign is null && header.Contains("\"none\"", StringComparison.Ordinal))
        {
            return input + ".";
        }

        var signature = (sign ?? HMACSHA256.HashData)(key ?? ServiceKey, Encoding.ASCII.GetBytes(input));
        return input + "." + Base64Url.EncodeToString(signature);
    }

    private async Task<HttpResponseMessage> SendAsync(string token, string caseId)
    {
        using var client = server.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.PostAsync($"/cases/{caseId}/priority", Json("""{"to":"urgent"}"""));
    }
}

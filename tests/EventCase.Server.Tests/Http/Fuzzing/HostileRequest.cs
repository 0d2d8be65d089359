namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>What the service must answer to a hostile request.</summary>
internal enum Expectation
{
    /// <summary>A 4xx: the request is wrong (with <see cref="HostileRequest.Strict"/>, a 400, 413, 415 or 422).</summary>
    Refused,

    /// <summary>The value is odd but may be taken (an empty optional text, right-to-left marks): anything but a 5xx.</summary>
    MayBeTaken,

    /// <summary>A 403: the token's role may not use the operation, whatever the request holds.</summary>
    Forbidden,

    /// <summary>A 401: no token.</summary>
    Unauthenticated,
}

/// <summary>
/// One request the fuzzer sends. <see cref="Field"/> is what is at fault: a 400 or 422 must name it (or a member
/// within it) in <c>errors</c>, or, under <c>/open311</c>, start its description with it.
/// </summary>
internal sealed record HostileRequest(string Description, string Method, string PathAndQuery, Expectation Expect, string? Field)
{
    /// <summary>The body's bytes, or null for none.</summary>
    public byte[]? Body { get; init; }

    /// <summary>The body's Content-Type, or null for none.</summary>
    public string? ContentType { get; init; }

    /// <summary>Headers beyond the token's.</summary>
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    /// <summary>The role of the token sent, or null for no token.</summary>
    public string? Role { get; init; }

    /// <summary>For <see cref="Expectation.Refused"/>: only 400, 413, 415 and 422 will do (not a 404 or 409 that hides the fault).</summary>
    public bool Strict { get; init; }

    public override string ToString()
    {
        var path = PathAndQuery.Length > 160 ? PathAndQuery[..160] + "…" : PathAndQuery;
        return $"[{Role ?? "no token"}] {Method} {path} — {Description}";
    }
}

namespace EventCase.Server.Open311;

/// <summary>The <c>Open311</c> configuration section.</summary>
public sealed class Open311Settings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Open311";
}

/// <summary>Open311 GeoReport v2.</summary>
public static class Open311Api
{
    /// <summary>Maps <c>/open311/v2</c>.</summary>
    public static IEndpointRouteBuilder MapOpen311Api(this IEndpointRouteBuilder endpoints) => endpoints;
}

namespace EventCase.Server.Admin;

/// <summary>Admin routes: service catalog, routing rules, calendars.</summary>
public static class AdminApi
{
    /// <summary>Maps <c>/admin</c>.</summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints) => endpoints;
}

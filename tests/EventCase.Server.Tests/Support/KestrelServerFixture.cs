using Microsoft.AspNetCore.Hosting;

namespace EventCase.Server.Tests.Support;

/// <summary>The service as <see cref="ServerFixture"/> sets it up, on Kestrel on a loopback port instead of the test server.</summary>
public sealed class KestrelServerFixture : ServerFixture
{
    protected override bool OnKestrel => true;

    /// <summary>
    /// A port the system picks: the service's default, 5311, is where a developer's own <c>dotnet run</c> listens, and
    /// the tests must not fail (or talk to it) because it is running.
    /// </summary>
    protected override void ConfigureHost(IWebHostBuilder builder) => builder.UseSetting("urls", "http://127.0.0.1:0");
}

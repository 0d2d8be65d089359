namespace EventCase.Server.Tests.Support;

/// <summary>The service as <see cref="ServerFixture"/> sets it up, on Kestrel on a loopback port instead of the test server.</summary>
public sealed class KestrelServerFixture : ServerFixture
{
    protected override bool OnKestrel => true;
}

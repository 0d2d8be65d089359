using Xunit;

namespace EventCase.Testing;

/// <summary>
/// Optional assembly fixture that stops the shared test cluster when the test assembly finishes, rather than at
/// process exit. Register it in a test project with
/// <c>[assembly: AssemblyFixture(typeof(EventCase.Testing.PostgresClusterFixture))]</c>. The cluster itself still
/// starts lazily, on the first test that needs a database.
/// </summary>
public sealed class PostgresClusterFixture : IAsyncLifetime
{
    /// <inheritdoc />
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await TestCluster.StopAsync();
}

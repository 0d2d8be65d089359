using System.Net;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EventCase.Server.Tests.Http;

public sealed class UnexpectedErrorTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_unexpected_exception_is_a_500_problem_that_shows_no_internals()
    {
        // A throwing terminal middleware behind the app's pipeline: what a bug in a handler looks like to the client.
        using var factory = server.Factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new ThrowingFilter())));
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/boom");
        request.Headers.Add("X-Correlation-Id", "bug-report-1");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("https://eventcase.dev/problems/server.internal-error", text, StringComparison.Ordinal);
        Assert.Contains("bug-report-1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret connection detail", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
    }

    private sealed class ThrowingFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(context => context.Request.Path == "/boom"
                ? throw new InvalidOperationException("secret connection detail Host=db;Password=hunter2")
                : Task.CompletedTask);
        };
    }
}

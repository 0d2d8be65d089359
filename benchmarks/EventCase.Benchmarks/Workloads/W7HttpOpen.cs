using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
using System.Net.Http.Headers;
using System.Text;
using EventCase.Benchmarks.Running;
using EventCase.Server.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W7: opening cases through the running service, over real loopback TCP (Kestrel, not the in-memory test server),
/// with 32 concurrent clients, each waiting for its answer before sending the next request. The service runs as in
/// production: Production environment, a configured signing key, warnings-only logging, its projection daemon on.
/// Baseline: the same clients on the liveness endpoint, which touches no database: the floor the HTTP stack itself
/// sets on this machine.
/// </summary>
internal sealed class W7HttpOpen : IWorkload
{
    private static readonly int Clients = int.Parse(Environment.GetEnvironmentVariable("W7_CLIENTS") ?? "32", System.Globalization.CultureInfo.InvariantCulture);

    public string Id => "W7";

    public string Name => "http-open";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var requests = context.Scaled(10_000, minimum: Clients * 4);
        var database = await context.CreateDatabaseNameAsync("w7", cancellationToken);
        // The service reads no file of its own here (every setting is given below), so its content root is this
        // program's directory; WebApplicationFactory would otherwise look for a source folder next to a solution file.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_EVENTCASE_SERVER", AppContext.BaseDirectory);

        // Any public type of the service's assembly names its entry point (this project has a Program of its own).
        await using var factory = new WebApplicationFactory<TokenKeys>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("hostBuilder:reloadConfigOnChange", "false");
            builder.UseSetting("ConnectionStrings:EventCase", database);
            builder.UseSetting("Auth:SigningKey", Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        });
        factory.UseKestrel();
        factory.StartServer();
        var baseAddress = factory.ClientOptions.BaseAddress;
        await WaitUntilReadyAsync(factory, cancellationToken);

        var token = factory.Services.GetRequiredService<TokenKeys>().Issue("bench-agent", "agent", "demo-city", null, TimeSpan.FromHours(2));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        context.Log.WriteLine($"  W7: service on {baseAddress} (Kestrel, loopback), {Clients} clients, {requests:N0} opens");

        var services = new[] { "pothole", "streetlight", "graffiti", "missed-trash" };
        async Task Open(int n)
        {
            var body = $$"""
                {"service":"{{services[n % services.Length]}}","description":"Reported by a resident on the phone: request {{n}}, please send someone to have a look at it this week.","location":{"latitude":42.36,"longitude":-71.06,"address":"{{n % 500}} Main Street"},"channel":"phone"}
                """;
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri("cases", UriKind.Relative), content, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /cases answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }

        async Task Live(int n)
        {
            using var response = await client.GetAsync(new Uri("health/live", UriKind.Relative), cancellationToken);
            response.EnsureSuccessStatusCode();
        }

        // Warm-up: connection pools (HTTP and PostgreSQL), the catalog cache, and the JIT until it has settled (rounds
        // of opens under the same load; a server runs for days, so its steady state is what to measure).
        var warmUpRound = Math.Min(requests, 1_000);
        var warmUpOpens = 0;
        await context.WarmUpAsync(async round =>
        {
            await RunClientsAsync(warmUpRound, n => Open(1_000_000 + (round * warmUpRound) + n), new LatencyRecorder());
            warmUpOpens += warmUpRound;
        });
        await context.WarmUpAsync(_ => RunClientsAsync(warmUpRound, Live, new LatencyRecorder()));

        var ours = new LatencyRecorder();
        var baseline = new LatencyRecorder();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var pausedBefore = GC.GetTotalPauseDuration();
        var collectionsBefore = GC.CollectionCount(0);
        var started = Stopwatch.GetTimestamp();
        await RunClientsAsync(requests, Open, ours);
        var oursWall = Stopwatch.GetElapsedTime(started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  W7: this process (service and clients) used {cpu.TotalSeconds / oursWall.TotalSeconds:F2} cores, {cpu.TotalMilliseconds * 1000 / requests:F0} µs of CPU per open; {ThreadPool.ThreadCount} pool threads; {GC.CollectionCount(0) - collectionsBefore} GCs pausing {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds / oursWall.TotalMilliseconds:P0} of the time ({(GCSettings.IsServerGC ? "server" : "workstation")} GC)"));
        started = Stopwatch.GetTimestamp();
        await RunClientsAsync(requests, Live, baseline);
        var baselineWall = Stopwatch.GetElapsedTime(started);

        await using (var check = NpgsqlDataSource.Create(database))
        await using (var count = check.CreateCommand("SELECT count(*) FROM eventcase.streams WHERE stream_type = 'case'"))
        {
            var stored = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            var expected = requests + warmUpOpens;
            if (stored != expected)
            {
                throw new InvalidOperationException($"{stored:N0} case streams stored after {expected:N0} successful opens");
            }
        }

        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("POST /cases (201 Created) over loopback", requests, oursWall, ours.Latencies, "requests/s"),
            new Measurement("GET /health/live over loopback", requests, baselineWall, baseline.Latencies, "requests/s"),
            $"{Clients} clients, JWT auth, validation, routing, case number, append + inline projections; baseline: liveness, no database");
    }

    private static async Task RunClientsAsync(int requests, Func<int, Task> send, LatencyRecorder recorder)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < requests)
            {
                await recorder.TimeAsync(() => send(n));
            }
        })));
    }

    private static async Task WaitUntilReadyAsync(WebApplicationFactory<TokenKeys> factory, CancellationToken cancellationToken)
    {
        using var client = factory.CreateClient();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"the service did not become ready: {(int)response.StatusCode}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}

using System.Diagnostics;
using EventCase.Server.Tests.Support;
using Xunit.Sdk;

namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>
/// The checks every fuzzed variant of an operation gets beside its answer's own, shared by the REST and the Open311
/// fuzzers: a refused variant left the log as it was (no event, stream or position added), and no variant reached the
/// unexpected-error handler. Failures are collected, so that one run names every wrong variant, not the first.
/// </summary>
internal sealed class FuzzRun
{
    private readonly ServerFixture _server;
    private readonly string _operation;
    private readonly Stopwatch _watch;
    private readonly List<string> _failures = [];
    private (long Position, long Events, long Streams) _state;
    private int _unexpected;
    private int _sent;

    private FuzzRun(ServerFixture server, string operation, Stopwatch watch, (long, long, long) state)
    {
        _server = server;
        _operation = operation;
        _watch = watch;
        _state = state;
        _unexpected = server.UnexpectedErrorCount;
    }

    /// <summary>Starts the run of <paramref name="operation"/>'s variants, reading the log's state before the first.</summary>
    public static async Task<FuzzRun> StartAsync(ServerFixture server, string operation)
    {
        var watch = Stopwatch.StartNew();
        return new FuzzRun(server, operation, watch, await StoreStateAsync(server));
    }

    /// <summary>
    /// Records the answer to <paramref name="request"/>: its own <paramref name="failure"/> if it had one, else a refusal
    /// that changed the log or an answer that went through the unexpected-error handler.
    /// </summary>
    public async Task CheckAsync(HostileRequest request, int status, string? failure)
    {
        _sent++;
        var after = await StoreStateAsync(_server);
        if (status >= 400 && after != _state)
        {
            failure ??= $"{status} but the store changed from {_state} to {after}";
        }

        if (_server.UnexpectedErrorCount != _unexpected)
        {
            failure ??= $"{status}, and the unexpected-error handler ran";
            _unexpected = _server.UnexpectedErrorCount;
        }

        if (failure is not null)
        {
            _failures.Add($"{request}: {failure}");
        }

        _state = after;
    }

    /// <summary>Writes how many variants were sent, and fails the test naming (up to 40 of) the wrong ones.</summary>
    public void ThrowIfAnyFailed()
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"{_operation}: {_sent} variants in {_watch.ElapsedMilliseconds} ms");
        if (_failures.Count > 0)
        {
            throw new XunitException($"{_failures.Count} of {_sent} variants of {_operation} were answered wrongly:\n" + string.Join("\n", _failures.Take(40)));
        }
    }

    /// <summary>The log's last position, how many events and how many streams there are.</summary>
    private static async Task<(long Position, long Events, long Streams)> StoreStateAsync(ServerFixture server)
    {
        await using var command = server.DataSource.CreateCommand(
            "SELECT coalesce(max(position), 0), count(*), (SELECT count(*) FROM eventcase.streams) FROM eventcase.events");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}

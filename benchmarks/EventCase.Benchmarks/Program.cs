using System.Globalization;
using EventCase.Benchmarks.Running;
using EventCase.Benchmarks.Workloads;
using EventCase.EventStore.Embedded;

// dotnet run -c Release --project benchmarks/EventCase.Benchmarks -- [workloads] [--scale N] [--connection CS]
// Workloads are named by id (W1) or name (append-batched); none means all. --micro runs the BenchmarkDotNet suites.
// --keep-databases leaves each workload's database on the server (for inspection) instead of dropping it when the next
// workload starts (and, on a server given with --connection, when the last one ends).

IWorkload[] all = [new W1AppendBatched(), new W2AppendSingle(), new W3AggregateLoad(), new W4Rebuild(), new W5QueueRead(), new W6AsOf(), new W7HttpOpen(), new W8Replay311(), new W9AuditVerify(), new W10CaseRebuild(), new LogReadDiagnostics()];

double scale = 1;
string? connection = null;
var keepDatabases = false;
var selected = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--scale" when i + 1 < args.Length:
            scale = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--connection" when i + 1 < args.Length:
            connection = args[++i];
            break;
        case "--keep-databases":
            keepDatabases = true;
            break;
        case "--micro":
            BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(EventCase.Benchmarks.Running.ResultsTable).Assembly).Run(args.Skip(i + 1).ToArray());
            return 0;
        case "--help" or "-h":
            Console.WriteLine("usage: EventCase.Benchmarks [W1 W2 …|names] [--scale N] [--connection CS] [--keep-databases] | --micro [BenchmarkDotNet args]");
            Console.WriteLine("workloads: " + string.Join(", ", all.Select(w => $"{w.Id} {w.Name}")));
            return 0;
        default:
            selected.Add(args[i]);
            break;
    }
}

var unknown = selected.Where(s => !all.Any(w => Matches(w, s))).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown workload(s): {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(w => $"{w.Id} {w.Name}"))}");
    return 2;
}

var workloads = selected.Count == 0 ? all : all.Where(w => selected.Any(s => Matches(w, s))).ToArray();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

EmbeddedPostgres? embedded = null;
try
{
    if (connection is null)
    {
        // PostgreSQL's own defaults (fsync and synchronous commit on): the figures must hold on a real server.
        embedded = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions
            {
                Mode = EmbeddedPostgresMode.Temporary,
                Durability = EmbeddedPostgresDurability.Full,
                Settings = new Dictionary<string, string> { ["max_connections"] = "200" },
            },
            cancellation.Token);
        connection = embedded.ConnectionString;
    }

    await MachineReport.PrintAsync(connection, scale, Console.Out, cancellation.Token);
    var context = new BenchmarkContext(connection, scale, Console.Error);
    var results = new List<WorkloadResult>();
    foreach (var workload in workloads)
    {
        if (results.Count > 0)
        {
            await context.SettleAsync(keepDatabases, cancellation.Token);
        }

        Console.Error.WriteLine($"running {workload.Id} {workload.Name} …");
        results.Add(await workload.RunAsync(context, cancellation.Token));
        ResultsTable.Print([results[^1]], Console.Error);
    }

    if (!keepDatabases && embedded is null)
    {
        // A temporary embedded cluster goes with its databases; a server of the caller's keeps none of them.
        await context.DropDatabasesAsync(cancellation.Token);
    }

    Console.WriteLine();
    ResultsTable.Print(results, Console.Out);
    return 0;
}
finally
{
    if (embedded is not null)
    {
        await embedded.DisposeAsync();
    }
}

static bool Matches(IWorkload workload, string selector) =>
    string.Equals(workload.Id, selector, StringComparison.OrdinalIgnoreCase) ||
    string.Equals(workload.Name, selector, StringComparison.OrdinalIgnoreCase);

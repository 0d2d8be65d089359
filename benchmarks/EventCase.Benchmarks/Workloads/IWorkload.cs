using EventCase.Benchmarks.Running;

namespace EventCase.Benchmarks.Workloads;

internal interface IWorkload
{
    /// <summary>Short id, e.g. W1.</summary>
    string Id { get; }

    /// <summary>Long name, e.g. append-batched.</summary>
    string Name { get; }

    Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}

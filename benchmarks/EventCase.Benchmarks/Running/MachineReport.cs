using System.Globalization;
using Npgsql;

namespace EventCase.Benchmarks.Running;

/// <summary>Prints what the figures were measured on: cores, memory, PostgreSQL version and the settings that matter.</summary>
internal static class MachineReport
{
    public static async Task PrintAsync(string connectionString, double scale, TextWriter output, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(
            """
            SELECT version(),
                   (SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings
                     WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'max_wal_size', 'work_mem', 'checkpoint_timeout'))
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} cores, {memory:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}"));
        output.WriteLine($"postgres: {reader.GetString(0)}");
        output.WriteLine($"settings: {reader.GetString(1)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale: {scale}"));
    }
}

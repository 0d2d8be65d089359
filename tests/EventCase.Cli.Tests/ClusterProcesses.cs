namespace EventCase.Cli.Tests;

/// <summary>The processes of an embedded PostgreSQL cluster, as the drills that interrupt the command line look for them.</summary>
internal static class ClusterProcesses
{
    /// <summary>Whether a process runs whose command line holds each of <paramref name="words"/> and names <paramref name="cluster"/>.</summary>
    public static bool IsRunning(string[] words, string cluster)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (arguments.Contains(cluster) && words.All(word => arguments.Any(a => a == word || a.EndsWith("/" + word, StringComparison.Ordinal))))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A process that ended meanwhile, or that is not ours to read.
            }
        }

        return false;
    }
}

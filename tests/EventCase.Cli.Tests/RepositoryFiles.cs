namespace EventCase.Cli.Tests;

/// <summary>Files of the repository the tests run in (mappings, samples), found from the test binaries upwards.</summary>
internal static class RepositoryFiles
{
    public static string Path(params string[] parts)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "EventCase.sln")))
        {
            directory = directory.Parent;
        }

        return System.IO.Path.Combine([directory!.FullName, .. parts]);
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;

namespace EventCase.Cli.Hosting;

/// <summary>
/// Checks of the paths options name, made while parsing so that a command that cannot read its input or write its
/// output stops before it does any work (exit code 2) instead of failing half-way or after the work is done.
/// </summary>
internal static class PathValidation
{
    /// <summary>The option names a file to read: it must exist and be a file.</summary>
    public static void AcceptExistingFilesOnly(this Option option) =>
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<FileInfo?>() is { } file && ProblemReading(file) is { } problem)
            {
                r.AddError($"{option.Name}: {problem}");
            }
        });

    /// <summary>The argument names a file to read: it must exist and be a file.</summary>
    public static void AcceptExistingFilesOnly(this Argument<FileInfo> argument) =>
        argument.Validators.Add(r =>
        {
            try
            {
                if (r.GetValueOrDefault<FileInfo?>() is { } file && ProblemReading(file) is { } problem)
                {
                    r.AddError(problem);
                }
            }
            catch (InvalidOperationException)
            {
                // An unparsable value; the parse error names it.
            }
        });

    /// <summary>
    /// The option names a file to write: not a directory, in a directory that exists (commands do not create
    /// directories: a typo in one should not scatter files), and that can be written now (<see cref="ProblemCreating"/>):
    /// a directory the user may not write to failed only when the file was written, after the work (a checkpoint
    /// signed after verifying a whole tenant), exit code 1.
    /// </summary>
    public static void AcceptWritableFilePathsOnly(this Option option) =>
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<FileInfo?>() is { } file && ProblemCreating(file) is { } problem)
            {
                r.AddError($"{option.Name}: {problem}");
            }
        });

    /// <summary>The option names a directory, which may not exist yet: nothing on its path may be a file.</summary>
    public static void AcceptDirectoryPathsOnly(this Option option) =>
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<string?>() is { Length: > 0 } path && ProblemWithDirectory(path) is { } problem)
            {
                r.AddError($"{option.Name}: {problem}");
            }
        });

    /// <summary>Why <paramref name="file"/> cannot be read, or null.</summary>
    public static string? ProblemReading(FileInfo file) =>
        Directory.Exists(file.FullName) ? $"{file.FullName} is a directory, not a file."
        : !file.Exists ? $"{file.FullName} does not exist."
        : null;

    /// <summary>Why <paramref name="file"/> cannot be written, or null.</summary>
    public static string? ProblemWriting(FileInfo file)
    {
        if (Directory.Exists(file.FullName))
        {
            return $"{file.FullName} is a directory; give the name of a file in it.";
        }

        var directory = file.Directory;
        if (directory is null || directory.Exists)
        {
            return null;
        }

        return FileOnPath(directory.FullName) is { } blocking
            ? $"{file.FullName} cannot be written: {blocking} is a file, not a directory."
            : $"{file.FullName} cannot be written: the directory {directory.FullName} does not exist.";
    }

    /// <summary>
    /// Why <paramref name="file"/> cannot be written now, found by trying, or null: <see cref="ProblemWriting"/>'s
    /// checks, then the file opened for writing without changing it when it exists, or a hidden file created in its
    /// directory (and deleted) when it does not. For a file written while the work goes on, whose failure would stop the
    /// work half-way (an import's report): permissions, a read-only mount or a full quota are found before.
    /// </summary>
    public static string? ProblemCreating(FileInfo file)
    {
        if (ProblemWriting(file) is { } problem)
        {
            return problem;
        }

        var directory = file.DirectoryName ?? ".";
        var probe = Path.Combine(directory, $".{file.Name}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (file.Exists)
            {
                using var existing = new FileStream(file.FullName, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            }
            else
            {
                using var created = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The probe's name means nothing to the user: the directory it was tried in does.
            return $"{file.FullName} cannot be written: {e.Message.Replace(probe, directory, StringComparison.Ordinal)}";
        }
    }

    /// <summary>Why <paramref name="path"/> cannot be (or become) a directory, or null.</summary>
    public static string? ProblemWithDirectory(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (ArgumentException e)
        {
            return $"'{path}' is not a usable path: {CommandFailure.WithoutParameterName(e)}";
        }

        return FileOnPath(full) is { } blocking
            ? blocking == full ? $"{full} is a file, not a directory." : $"{full} cannot be a directory: {blocking} is a file."
            : null;
    }

    /// <summary>The first existing entry on <paramref name="fullPath"/> or above it, when that entry is a file.</summary>
    private static string? FileOnPath(string fullPath)
    {
        for (var current = fullPath; !string.IsNullOrEmpty(current); current = Path.GetDirectoryName(current))
        {
            if (File.Exists(current))
            {
                return current;
            }

            if (Directory.Exists(current))
            {
                return null;
            }
        }

        return null;
    }
}

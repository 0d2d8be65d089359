using System.Diagnostics;

namespace EventCase.Cli.Tests;

/// <summary>
/// A directory no file can be created in, for as long as this is not disposed: its permissions taken away, and, since
/// root (as in CI containers) ignores permissions, the immutable attribute set too (chattr +i, which binds root). The
/// test is skipped where neither holds.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class UnwritableDirectory : IDisposable
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _path;
    private bool _immutable;

    private UnwritableDirectory(string path) => _path = path;

    public static UnwritableDirectory Lock(string path)
    {
        var locked = new UnwritableDirectory(path);
        File.SetUnixFileMode(path, ReadOnly);
        if (CanCreateIn(path))
        {
            locked._immutable = Chattr("+i", path);
        }

        if (CanCreateIn(path))
        {
            locked.Dispose();
            Assert.Skip("no way to make a directory unwritable here (root, and no chattr +i)");
        }

        return locked;
    }

    public void Dispose()
    {
        if (_immutable)
        {
            Chattr("-i", _path);
        }

        File.SetUnixFileMode(_path, ReadOnly | UnixFileMode.UserWrite);
    }

    private static bool CanCreateIn(string path)
    {
        try
        {
            using var probe = new FileStream(Path.Combine(path, ".probe"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool Chattr(string change, string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [change, path]) { RedirectStandardError = true })!;
            process.WaitForExit(10_000);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

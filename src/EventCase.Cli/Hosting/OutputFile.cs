namespace EventCase.Cli.Hosting;

/// <summary>
/// A file a command writes, which appears (or replaces the one there) only when the command succeeded: it is written
/// as a hidden temporary file beside it, then renamed over it. A command that fails half-way, or is interrupted,
/// leaves what was there before, never a truncated or empty file; and an unusable path fails before the work starts.
/// </summary>
internal sealed class OutputFile : IAsyncDisposable
{
    private readonly string _temporaryPath;
    private readonly bool _overwrite;
    private readonly FileStream _stream;
    private bool _committed;

    private OutputFile(FileInfo target, string temporaryPath, FileStream stream, bool overwrite)
    {
        Target = target;
        _temporaryPath = temporaryPath;
        _stream = stream;
        _overwrite = overwrite;
    }

    /// <summary>The file the content goes to once committed.</summary>
    public FileInfo Target { get; }

    /// <summary>Where to write the content.</summary>
    public Stream Stream => _stream;

    /// <summary>Starts writing <paramref name="target"/>.</summary>
    /// <param name="target">The file.</param>
    /// <param name="overwrite">Whether an existing file may be replaced; when false and one appears meanwhile,
    /// <see cref="CommitAsync"/> fails and leaves it alone.</param>
    /// <param name="unixCreateMode">On Unix, the permissions the file is created with (a private key's
    /// <c>0600</c>): set at creation, so the content is never readable by others, not even for a moment.</param>
    /// <exception cref="CliException">The directory cannot be written to.</exception>
    public static OutputFile Create(FileInfo target, bool overwrite = true, UnixFileMode? unixCreateMode = null)
    {
        var temporaryPath = Path.Combine(target.DirectoryName ?? ".", $".{target.Name}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (unixCreateMode is { } mode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            return new OutputFile(target, temporaryPath, new FileStream(temporaryPath, options), overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {target.FullName}: {e.Message}", ExitCodes.Failure, e);
        }
    }

    /// <summary>Puts the written content in place of the target, durably (flushed to disk before the rename).</summary>
    /// <exception cref="CliException">The target exists and may not be overwritten, or the rename failed.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await _stream.FlushAsync(cancellationToken);
        _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync();
        try
        {
            File.Move(_temporaryPath, Target.FullName, _overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {Target.FullName}: {e.Message}", ExitCodes.Failure, e);
        }

        _committed = true;
    }

    /// <summary>Removes the temporary file unless it was committed.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        if (!_committed)
        {
            try
            {
                File.Delete(_temporaryPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a hidden temporary file is left behind, the target is untouched either way.
            }
        }
    }
}

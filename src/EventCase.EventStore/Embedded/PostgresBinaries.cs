using System.Globalization;

namespace EventCase.EventStore.Embedded;

/// <summary>Finds the directory holding the PostgreSQL server programs.</summary>
public static class PostgresBinaries
{
    private static readonly string[] RequiredPrograms = ["initdb", "pg_ctl"];

    /// <summary>
    /// The directory holding <c>initdb</c> and <c>pg_ctl</c>: <paramref name="configured"/> if given, else
    /// <c>EVENTCASE_PG_BIN</c>, else the first <c>PATH</c> entry holding both (symbolic links resolved), else the
    /// highest-versioned <c>/usr/lib/postgresql/*/bin</c>. A configured directory that lacks them is an error,
    /// never silently replaced by another one.
    /// </summary>
    /// <exception cref="PostgresBinariesNotFoundException">Nothing was found; the message says where it looked.</exception>
    public static string Locate(string? configured = null) =>
        Locate(configured, Environment.GetEnvironmentVariable, "/usr/lib/postgresql");

    internal static string Locate(string? configured, Func<string, string?> environment, string debianRoot)
    {
        var searched = new List<string>();

        var (explicitDir, source) = !string.IsNullOrWhiteSpace(configured)
            ? (configured, "EmbeddedPostgresOptions.BinDirectory")
            : (environment(EmbeddedPostgresOptions.BinDirectoryEnvironmentVariable), EmbeddedPostgresOptions.BinDirectoryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitDir))
        {
            if (HoldsPrograms(explicitDir))
            {
                return Path.GetFullPath(explicitDir);
            }

            searched.Add($"{source}={explicitDir} (no {Missing(explicitDir)} there)");
            throw NotFound(searched, configuredWrong: true);
        }

        var path = environment("PATH") ?? "";
        var pathDirs = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in pathDirs)
        {
            if (HoldsPrograms(dir))
            {
                return ResolveProgramDirectory(dir);
            }
        }

        searched.Add(pathDirs.Length == 0
            ? "PATH (empty)"
            : $"PATH ({string.Join(Path.PathSeparator, pathDirs)}): no directory holds both initdb and pg_ctl");

        var versioned = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: ParseVersion(Path.GetFileName(d))))
                .Where(c => c.Version is not null && HoldsPrograms(c.Dir))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Dir)
                .FirstOrDefault()
            : null;
        if (versioned is not null)
        {
            return versioned;
        }

        searched.Add($"{debianRoot}/*/bin (no PostgreSQL version installed there)");
        throw NotFound(searched, configuredWrong: false);
    }

    private static PostgresBinariesNotFoundException NotFound(List<string> searched, bool configuredWrong)
    {
        var message =
            "PostgreSQL server binaries (initdb, pg_ctl) were not found; EventCase needs them to run its embedded " +
            "PostgreSQL (nothing needs to be running). Searched: " + string.Join("; ", searched) + ". " +
            (configuredWrong
                ? $"Fix: point {EmbeddedPostgresOptions.BinDirectoryEnvironmentVariable} (or the BinDirectory option) at the directory that holds initdb and pg_ctl, e.g. /usr/lib/postgresql/15/bin, or unset it to search PATH and /usr/lib/postgresql/*/bin."
                : $"Fix: install the PostgreSQL 15+ server (Debian/Ubuntu: `apt-get install postgresql`; Fedora/RHEL: `dnf install postgresql-server`; macOS: `brew install postgresql`), or set {EmbeddedPostgresOptions.BinDirectoryEnvironmentVariable} to the directory that holds initdb and pg_ctl.");
        return new PostgresBinariesNotFoundException(message, searched);
    }

    private static bool HoldsPrograms(string dir) => RequiredPrograms.All(p => File.Exists(Path.Combine(dir, p)));

    private static string Missing(string dir) =>
        string.Join(" or ", RequiredPrograms.Where(p => !File.Exists(Path.Combine(dir, p))));

    // Debian links /usr/bin entries to wrappers and some images link the real programs into /usr/local/bin;
    // the directory of the real initdb is the one whose sibling `postgres` belongs to the same version.
    private static string ResolveProgramDirectory(string dir)
    {
        var initdb = new FileInfo(Path.Combine(dir, "initdb"));
        var target = initdb.ResolveLinkTarget(returnFinalTarget: true);
        var resolvedDir = target is null ? Path.GetFullPath(dir) : Path.GetDirectoryName(target.FullName)!;
        return HoldsPrograms(resolvedDir) ? resolvedDir : Path.GetFullPath(dir);
    }

    private static Version? ParseVersion(string name) =>
        int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            ? new Version(major, 0)
            : Version.TryParse(name, out var v) ? v : null;
}

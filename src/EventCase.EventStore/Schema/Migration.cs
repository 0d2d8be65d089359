using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace EventCase.EventStore.Schema;

/// <summary>One versioned schema script.</summary>
/// <param name="Version">Applied in ascending order; never reused.</param>
/// <param name="Name">A short description, from the file name.</param>
/// <param name="Sql">The script, with <c>__schema__</c> placeholders.</param>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>
    /// SHA-256 of the script text with its line endings as LF, recorded when applied so that an edited, already-applied
    /// script is noticed. Line endings do not count: git on Windows checks the scripts out with CRLF, and the same script
    /// must not read as edited to a build made from that checkout.
    /// </summary>
    public string Checksum { get; } = ChecksumOf(Sql.Replace("\r\n", "\n", StringComparison.Ordinal));

    // What builds before the normalization recorded for a CRLF checkout: the hash of the bytes as checked out.
    private string CrLfChecksum { get; } = ChecksumOf(Sql.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));

    /// <summary>
    /// True when <paramref name="recorded"/>, a checksum <c>schema_migrations</c> holds for this version, is this script's:
    /// <see cref="Checksum"/>, or the checksum an earlier build made from a CRLF checkout recorded for the same text.
    /// </summary>
    internal bool WasRecordedAs(string recorded) =>
        string.Equals(recorded, Checksum, StringComparison.Ordinal) || string.Equals(recorded, CrLfChecksum, StringComparison.Ordinal);

    private static string ChecksumOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Loads every embedded resource of <paramref name="assembly"/> named <c>…NNNN_name.sql</c> whose resource name
    /// contains <paramref name="resourcePrefix"/>.
    /// </summary>
    public static IReadOnlyList<Migration> FromEmbeddedResources(Assembly assembly, string resourcePrefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.Contains(resourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var match = FileNamePattern().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(
                int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations share version {migrations[i].Version} in {assembly.GetName().Name}.");
            }
        }

        return migrations;
    }

    [GeneratedRegex(@"\.(?<version>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex FileNamePattern();
}

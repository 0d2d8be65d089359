using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EventCase.Testing;

/// <summary>
/// Replaces volatile values inside JSON strings (and property names) with numbered placeholders: the first
/// distinct match becomes <c>{Placeholder}_1</c>, the next <c>{Placeholder}_2</c>, and a value seen again gets its
/// number again, so the golden file still shows which ids are the same.
/// </summary>
/// <param name="Placeholder">The placeholder's stem, such as <c>Guid</c>.</param>
/// <param name="Pattern">What to replace.</param>
public sealed partial record GoldenScrubber(string Placeholder, Regex Pattern)
{
    /// <summary>GUIDs in their usual 8-4-4-4-12 hex form.</summary>
    public static GoldenScrubber Guids { get; } = new("Guid", GuidPattern());

    /// <summary>ISO 8601 instants and offset date-times (<c>2026-03-03T14:00:00.123Z</c>, <c>…+01:00</c>).</summary>
    public static GoldenScrubber Instants { get; } = new("Instant", InstantPattern());

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex GuidPattern();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})")]
    private static partial Regex InstantPattern();
}

/// <summary>How <see cref="Golden"/> turns a value into the text of a golden file.</summary>
public sealed class GoldenSettings
{
    /// <summary>
    /// Serializes objects (not JSON strings). Defaults to <see cref="JsonSerializerDefaults.Web"/> (camelCase). Pass
    /// the application's options when the value holds types that need converters (NodaTime, for instance).
    /// </summary>
    public JsonSerializerOptions SerializerOptions { get; init; } = new(JsonSerializerDefaults.Web);

    /// <summary>The scrubbers, applied in order; GUIDs and instants by default. Add your own with a collection initializer.</summary>
    public IList<GoldenScrubber> Scrubbers { get; } = [GoldenScrubber.Guids, GoldenScrubber.Instants];

    /// <summary>Properties (by JSON name, at any depth) whose whole value is replaced with <c>"Scrubbed"</c>, such as global positions.</summary>
    public ISet<string> ScrubbedMembers { get; } = new HashSet<string>(StringComparer.Ordinal);

    internal static JsonSerializerOptions OutputOptions { get; } = new()
    {
        WriteIndented = true,
        // Golden files are read by people: keep é, <, > and + as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

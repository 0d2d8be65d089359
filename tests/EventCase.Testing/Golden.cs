using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Sdk;

namespace EventCase.Testing;

/// <summary>
/// Golden-file (snapshot) assertions for read models and API payloads: the value, as indented JSON with volatile
/// values scrubbed, must equal the checked-in <c>&lt;TestFile&gt;.&lt;name&gt;.verified.json</c> next to the test source.
/// </summary>
/// <remarks>
/// On a difference the helper writes <c>&lt;TestFile&gt;.&lt;name&gt;.received.json</c> (git-ignored) and fails with a
/// line diff. When the verified file is missing, it is written from the received value and the test fails, asking
/// for a review and a commit. With <c>EVENTCASE_ACCEPT_GOLDEN=1</c> both cases accept the received value and pass.
/// </remarks>
public static class Golden
{
    /// <summary>Set to <c>1</c> to accept every received value as the new verified file.</summary>
    public const string AcceptVariable = "EVENTCASE_ACCEPT_GOLDEN";

    private const int MaxDiffLines = 60;

    /// <summary>Verifies <paramref name="value"/>, serialized with <see cref="GoldenSettings.SerializerOptions"/>.</summary>
    /// <param name="value">The object to compare.</param>
    /// <param name="name">The golden file's name within the test file, such as the test's name or a scenario.</param>
    /// <param name="settings">Serializer and scrubbers; defaults when null.</param>
    /// <param name="sourceFilePath">Supplied by the compiler: the calling test's source file.</param>
    public static Task VerifyAsync(object? value, string name, GoldenSettings? settings = null, [CallerFilePath] string sourceFilePath = "")
    {
        settings ??= new GoldenSettings();
        var node = JsonSerializer.SerializeToNode(value, settings.SerializerOptions);
        return VerifyNodeAsync(node, name, settings, sourceFilePath);
    }

    /// <summary>Verifies a JSON document given as text (an HTTP response body, for example).</summary>
    /// <param name="json">The JSON text to compare.</param>
    /// <param name="name">The golden file's name within the test file, such as the test's name or a scenario.</param>
    /// <param name="settings">Scrubbers; defaults when null.</param>
    /// <param name="sourceFilePath">Supplied by the compiler: the calling test's source file.</param>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not JSON.</exception>
    public static Task VerifyAsync(string json, string name, GoldenSettings? settings = null, [CallerFilePath] string sourceFilePath = "")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Golden.VerifyAsync was given a string that is not JSON ({e.Message}): {Shorten(json)}", nameof(json), e);
        }

        return VerifyNodeAsync(node, name, settings ?? new GoldenSettings(), sourceFilePath);
    }

    /// <summary>The text a value would be compared as: indented JSON with volatile values scrubbed, ending in a newline.</summary>
    public static string Render(JsonNode? node, GoldenSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var scrubbed = Scrub(node, settings, new Dictionary<(string, string), int>(), new Dictionary<string, int>(StringComparer.Ordinal));
        return (scrubbed?.ToJsonString(GoldenSettings.OutputOptions) ?? "null") + "\n";
    }

    private static async Task VerifyNodeAsync(JsonNode? node, string name, GoldenSettings settings, string sourceFilePath)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' cannot be part of a file name.", nameof(name));
        }

        var cancellationToken = TestContext.Current.CancellationToken;
        var source = LocateSourceFile(sourceFilePath);
        var stem = Path.Combine(Path.GetDirectoryName(source)!, Path.GetFileNameWithoutExtension(source) + "." + name);
        var verifiedPath = stem + ".verified.json";
        var receivedPath = stem + ".received.json";
        var received = Render(node, settings);
        var accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1";

        if (!File.Exists(verifiedPath))
        {
            await File.WriteAllTextAsync(verifiedPath, received, cancellationToken);
            DeleteIfExists(receivedPath);
            if (accept)
            {
                return;
            }

            throw new XunitException(
                $"Golden file {verifiedPath} did not exist; it has been written from this run's value. " +
                "Review it and commit it; the next run compares against it.\n" + received);
        }

        var verifiedText = Normalize(await File.ReadAllTextAsync(verifiedPath, cancellationToken));
        // Compare as our own rendering of the verified document, so that hand-edited whitespace is not a difference.
        var verified = TryRender(verifiedText) ?? verifiedText;
        if (string.Equals(verified, received, StringComparison.Ordinal))
        {
            DeleteIfExists(receivedPath);
            return;
        }

        if (accept)
        {
            await File.WriteAllTextAsync(verifiedPath, received, cancellationToken);
            DeleteIfExists(receivedPath);
            return;
        }

        await File.WriteAllTextAsync(receivedPath, received, cancellationToken);
        throw new XunitException(
            $"The value differs from the golden file.\n  verified: {verifiedPath}\n  received: {receivedPath}\n" +
            $"If the change is intended, copy the received file over the verified one (or run with {AcceptVariable}=1) and commit it.\n" +
            "Diff (- verified, + received):\n" + Diff(verified, received));
    }

    private static string? TryRender(string text)
    {
        try
        {
            var node = JsonNode.Parse(text);
            return (node?.ToJsonString(GoldenSettings.OutputOptions) ?? "null") + "\n";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonNode? Scrub(JsonNode? node, GoldenSettings settings, Dictionary<(string, string), int> seen, Dictionary<string, int> counters)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, child) in obj)
                {
                    var scrubbedKey = ScrubText(key, settings, seen, counters);
                    result[scrubbedKey] = settings.ScrubbedMembers.Contains(key)
                        ? JsonValue.Create("Scrubbed")
                        : Scrub(child, settings, seen, counters);
                }

                return result;
            case JsonArray array:
                return new JsonArray(array.Select(item => Scrub(item, settings, seen, counters)).ToArray());
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(ScrubText(value.GetValue<string>(), settings, seen, counters));
            default:
                return node?.DeepClone();
        }
    }

    private static string ScrubText(string text, GoldenSettings settings, Dictionary<(string, string), int> seen, Dictionary<string, int> counters)
    {
        foreach (var scrubber in settings.Scrubbers)
        {
            text = scrubber.Pattern.Replace(text, match =>
            {
                var key = (scrubber.Placeholder, match.Value);
                if (!seen.TryGetValue(key, out var number))
                {
                    number = counters.GetValueOrDefault(scrubber.Placeholder) + 1;
                    counters[scrubber.Placeholder] = number;
                    seen[key] = number;
                }

                return string.Create(CultureInfo.InvariantCulture, $"{scrubber.Placeholder}_{number}");
            });
        }

        return text;
    }

    /// <summary>
    /// The test's source file. Builds with deterministic source paths record <c>/_/…</c> instead of the real path;
    /// then the file is looked for under the directories above the test assembly.
    /// </summary>
    private static string LocateSourceFile(string sourceFilePath)
    {
        if (File.Exists(sourceFilePath))
        {
            return sourceFilePath;
        }

        var relative = sourceFilePath.Replace('\\', '/');
        relative = relative.StartsWith("/_/", StringComparison.Ordinal) ? relative[3..] : relative.TrimStart('/');
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"Golden files live next to the test's source file, but {sourceFilePath} was not found (is the source tree present?).");
    }

    private static string Diff(string verified, string received)
    {
        var a = verified.TrimEnd('\n').Split('\n');
        var b = received.TrimEnd('\n').Split('\n');
        // Longest common subsequence of lines; golden files are small enough for the quadratic table.
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = string.Equals(a[i], b[j], StringComparison.Ordinal) ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var lines = new List<(char Kind, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && string.Equals(a[x], b[y], StringComparison.Ordinal))
            {
                lines.Add((' ', a[x++]));
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                lines.Add(('+', b[y++]));
            }
            else
            {
                lines.Add(('-', a[x++]));
            }
        }

        // Show changed lines with two lines of context around them.
        var output = new StringBuilder();
        var shown = 0;
        var lastPrinted = -1;
        for (var k = 0; k < lines.Count && shown < MaxDiffLines; k++)
        {
            var nearChange = Enumerable.Range(Math.Max(0, k - 2), Math.Min(lines.Count, k + 3) - Math.Max(0, k - 2)).Any(n => lines[n].Kind != ' ');
            if (!nearChange)
            {
                continue;
            }

            if (lastPrinted >= 0 && k > lastPrinted + 1)
            {
                output.Append("  ...\n");
            }

            output.Append(lines[k].Kind).Append(' ').Append(lines[k].Text).Append('\n');
            lastPrinted = k;
            shown++;
        }

        if (shown == MaxDiffLines)
        {
            output.Append("  ... (diff truncated)\n");
        }

        return output.ToString();
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static void DeleteIfExists(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}

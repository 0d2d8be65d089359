using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventCase.Server.Tests.Support;
using Xunit.Sdk;

namespace EventCase.Server.Tests.Http.ApiReference;

/// <summary>
/// <c>docs/api-reference.md</c> and <c>docs/openapi.json</c> are generated from the service's own OpenAPI document, so
/// they cannot drift from the routes: this test renders them again and fails when the committed files differ. With
/// <c>EVENTCASE_UPDATE_API_REFERENCE=1</c> it rewrites them instead (review the diff and commit it).
/// </summary>
public sealed class ApiReferenceTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    public const string UpdateVariable = "EVENTCASE_UPDATE_API_REFERENCE";

    private const string Regenerate =
        $"regenerate with: {UpdateVariable}=1 dotnet test tests/EventCase.Server.Tests --filter FullyQualifiedName~ApiReferenceTests";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    [Fact]
    public async Task The_committed_api_reference_and_openapi_document_match_what_the_service_serves()
    {
        using var client = server.Client();
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        // Where the test server happens to listen is not part of the API.
        document.Remove("servers");

        var docs = Path.Combine(RepositoryRoot(), "docs");
        var outcomes = new[]
        {
            await CompareOrUpdateAsync(Path.Combine(docs, "openapi.json"), document.ToJsonString(Indented) + "\n"),
            await CompareOrUpdateAsync(Path.Combine(docs, "api-reference.md"), OpenApiMarkdown.Render(document)),
        };

        var stale = outcomes.Where(o => o is not null).ToList();
        if (stale.Count > 0)
        {
            throw new XunitException(string.Join("\n", stale) + "\n" + Regenerate);
        }
    }

    private static async Task<string?> CompareOrUpdateAsync(string path, string expected)
    {
        var current = File.Exists(path) ? (await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken)).ReplaceLineEndings("\n") : null;
        if (string.Equals(current, expected, StringComparison.Ordinal))
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(path, expected, TestContext.Current.CancellationToken);
            return null;
        }

        return current is null
            ? $"{path} is missing."
            : $"{path} is stale: it differs from the service's OpenAPI document at line {FirstDifferentLine(current, expected)}.";
    }

    private static int FirstDifferentLine(string current, string expected)
    {
        var a = current.Split('\n');
        var b = expected.Split('\n');
        var line = 0;
        while (line < a.Length && line < b.Length && string.Equals(a[line], b[line], StringComparison.Ordinal))
        {
            line++;
        }

        return line + 1;
    }

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        for (var directory = Path.GetDirectoryName(sourceFile); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "EventCase.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException($"No EventCase.sln above {sourceFile}: the test must run from a source checkout.");
    }
}

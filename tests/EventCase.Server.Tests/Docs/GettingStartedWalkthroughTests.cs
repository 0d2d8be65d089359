using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventCase.Server.Tests.Support;

namespace EventCase.Server.Tests.Docs;

/// <summary>
/// docs/getting-started.md (and the README's token example) is pasted into a terminal as it stands, so its requests are
/// sent here as it writes them, in its order, and their answers compared with the ones it shows: statuses, the headers a client reads, whole bodies
/// where it shows them, the members it picks out with jq. Instants, correlation ids and the year in case numbers differ
/// from run to run and are left out of the comparison; nothing else. A stale walkthrough fails here, not for the next
/// agency that follows it.
/// </summary>
public sealed partial class GettingStartedWalkthroughTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string DocumentedAddress = "http://127.0.0.1:5311";

    /// <summary>The headers a client of the walkthrough reads; the others (Date, Server, Transfer-Encoding, …) describe the connection.</summary>
    private static readonly string[] ComparedHeaders = ["Content-Type", "Cache-Control", "ETag", "Location", "Idempotent-Replayed", "X-Content-Type-Options"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("docs/getting-started.md", 20)]
    [InlineData("README.md", 2)]
    public async Task Every_request_the_doc_walks_through_gets_the_answer_it_shows(string document, int leastRequests)
    {
        var blocks = ShellBlocks(File.ReadAllLines(Path.Combine(RepositoryRoot(), document)));
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        using var client = server.Factory.CreateClient();
        var requests = 0;
        foreach (var (commands, shown) in blocks)
        {
            var answered = new List<(Curl Curl, HttpResponseMessage Response, string Body)>();
            foreach (var command in commands)
            {
                if (AssignmentPattern().Match(command) is { Success: true } assignment)
                {
                    requests += assignment.Groups[2].Value.StartsWith("$(curl ", StringComparison.Ordinal) ? 1 : 0;
                    if (await ValueAsync(assignment.Groups[2].Value, variables, client) is { } value)
                    {
                        variables[assignment.Groups[1].Value] = value;
                    }
                }
                else if (command.StartsWith("curl ", StringComparison.Ordinal))
                {
                    var curl = Curl.Parse(command, variables);
                    var (response, body) = await SendAsync(client, curl);
                    answered.Add((curl, response, body));
                }
            }

            requests += answered.Count;
            try
            {
                Compare(answered, shown, string.Join('\n', commands));
            }
            finally
            {
                answered.ForEach(a => a.Response.Dispose());
            }
        }

        // A parser that found nothing would pass vacuously.
        Assert.True(requests >= leastRequests, $"only {requests} requests were found in {document}");
    }

    private static void Compare(List<(Curl Curl, HttpResponseMessage Response, string Body)> answered, IReadOnlyList<string>? shown, string commands)
    {
        if (shown is [var first, ..] && first.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
        {
            // One request shown as curl -i prints it: the status line, headers, and the body after a blank line.
            var (curl, response, body) = Assert.Single(answered, a => a.Curl.IncludeHeaders);
            Assert.True(int.Parse(first.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) == (int)response.StatusCode, $"{commands}\nanswered {(int)response.StatusCode}: {body}");
            var blank = shown.ToList().IndexOf("");
            var headers = shown.Skip(1).Take((blank < 0 ? shown.Count : blank) - 1).ToList();
            if (!curl.Piped)
            {
                // The whole answer is shown (no grep picks lines from it): a header the service added since is missing from the doc.
                foreach (var name in ComparedHeaders.Where(n => response.Headers.NonValidated.Contains(n) || response.Content.Headers.NonValidated.Contains(n)))
                {
                    Assert.True(headers.Exists(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)), $"{commands}\nthe answer has a {name} header the doc does not show");
                }
            }

            foreach (var header in headers)
            {
                var name = header[..header.IndexOf(':', StringComparison.Ordinal)];
                if (ComparedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    Assert.True(
                        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values),
                        $"{commands}\nno {name} header in the answer");
                    Assert.Equal(header[(name.Length + 1)..].Trim(), string.Join(", ", values!));
                }
            }

            if (blank >= 0 && blank + 1 < shown.Count)
            {
                AssertSameJson(string.Join('\n', shown.Skip(blank + 1)), body, commands);
            }

            return;
        }

        // Lines jq -c printed: one per request, or all of them from a single request that lists (.events[]).
        var printed = shown?.Where(line => line.StartsWith('{')).ToList() ?? [];
        var filtered = answered.Where(a => a.Curl.PipedToJq).ToList();
        foreach (var (curl, response, body) in answered.Where(a => !a.Curl.PipedToJq || printed.Count == 0))
        {
            Assert.True(response.IsSuccessStatusCode, $"{curl.Text}\nanswered {(int)response.StatusCode}: {body}");
        }

        if (printed.Count == 0 || filtered.Count == 0)
        {
            return;
        }

        if (filtered.Count == 1 && printed.Count > 1)
        {
            Assert.True(filtered[0].Response.IsSuccessStatusCode, $"{filtered[0].Curl.Text}\nanswered {(int)filtered[0].Response.StatusCode}: {filtered[0].Body}");
            return;
        }

        Assert.True(filtered.Count == printed.Count, $"{commands}\nshows {printed.Count} lines for {filtered.Count} requests piped to jq");
        foreach (var ((curl, response, body), line) in filtered.Zip(printed))
        {
            var expected = JsonNode.Parse(line)!.AsObject();
            var expectedStatus = expected["status"] is JsonValue status && status.TryGetValue<int>(out var code) ? code : (int?)null;
            Assert.True(
                expectedStatus is { } s ? (int)response.StatusCode == s : response.IsSuccessStatusCode,
                $"{curl.Text}\nanswered {(int)response.StatusCode}: {body}");

            // The members jq picked from the top of the answer (an Open311 list: its first request) under their own name.
            var actual = JsonNode.Parse(body) is JsonArray list ? list[0]!.AsObject() : JsonNode.Parse(body)!.AsObject();
            foreach (var (name, value) in expected)
            {
                if (value is not JsonArray && actual.TryGetPropertyValue(name, out var answer))
                {
                    Assert.True(
                        JsonNode.DeepEquals(Scrubbed(value), Scrubbed(answer)),
                        $"{curl.Text}\n{name}: the doc shows {value?.ToJsonString()}, the service answered {answer?.ToJsonString()}");
                }
            }
        }
    }

    private static void AssertSameJson(string shown, string answered, string commands) =>
        Assert.True(
            JsonNode.DeepEquals(Scrubbed(JsonNode.Parse(shown)), Scrubbed(JsonNode.Parse(answered))),
            $"{commands}\nthe doc shows\n{shown}\nthe service answered\n{answered}");

    /// <summary>The JSON without what differs from run to run: instants, correlation ids, the year in case numbers.</summary>
    private static JsonNode? Scrubbed(JsonNode? node) =>
        node is null ? null : JsonNode.Parse(CaseNumberYear().Replace(CorrelationId().Replace(Instant().Replace(node.ToJsonString(), "<instant>"), "$1<id>\""), "$1-<year>-$2"));

    /// <summary>The value a shell assignment gives its variable; null for NAME=value before a command (its environment), which is not run.</summary>
    private static async Task<string?> ValueAsync(string value, Dictionary<string, string> variables, HttpClient client)
    {
        if (value.StartsWith("$(", StringComparison.Ordinal) && value.EndsWith(')'))
        {
            // $(curl … | jq -r PATH): the request's answer, and in it the value at PATH.
            var pipeline = value[2..^1];
            var curl = Curl.Parse(pipeline, variables);
            var (response, body) = await SendAsync(client, curl);
            using (response)
            {
                Assert.True(response.IsSuccessStatusCode, $"{pipeline}\nanswered {(int)response.StatusCode}: {body}");
            }

            var path = Curl.Words(pipeline[(pipeline.LastIndexOf("jq -r", StringComparison.Ordinal) + 5)..], variables)[0];
            JsonNode? at = JsonNode.Parse(body);
            foreach (Match step in JsonPathStep().Matches(path))
            {
                at = step.Groups[1].Success ? at![step.Groups[1].Value] : at![int.Parse(step.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)];
            }

            return at!.GetValue<string>();
        }

        return Curl.Words(value, variables) is [var single] ? single : null;
    }

    private static async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpClient client, Curl curl)
    {
        Assert.StartsWith(DocumentedAddress, curl.Url, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(curl.Method), curl.Url[DocumentedAddress.Length..]);
        string? contentType = null;
        foreach (var header in curl.Headers)
        {
            var (name, value) = (header[..header.IndexOf(':', StringComparison.Ordinal)], header[(header.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else
            {
                Assert.True(request.Headers.TryAddWithoutValidation(name, value), $"{curl.Text}: header {header}");
            }
        }

        if (curl.Data is { } data)
        {
            request.Content = new StringContent(data, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/x-www-form-urlencoded");
        }

        var response = await client.SendAsync(request, Ct);
        return (response, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>The doc's shell blocks, each with the output block that follows it, if any.</summary>
    private static List<(IReadOnlyList<string> Commands, IReadOnlyList<string>? Shown)> ShellBlocks(string[] lines)
    {
        var blocks = new List<(IReadOnlyList<string>, IReadOnlyList<string>?)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "```sh")
            {
                continue;
            }

            var end = Array.IndexOf(lines, "```", i + 1);
            var commands = new List<string>();
            foreach (var line in lines[(i + 1)..end].Where(l => l.Length > 0))
            {
                // A line ending in a backslash goes on in the next, as in the shell.
                if (commands is [.., var previous] && previous.EndsWith('\\'))
                {
                    commands[^1] = previous[..^1] + line.TrimStart();
                }
                else
                {
                    commands.Add(line);
                }
            }

            var next = Array.FindIndex(lines, end + 1, l => l.StartsWith("```", StringComparison.Ordinal));
            IReadOnlyList<string>? shown = null;
            if (next >= 0 && lines[next] == "```" && lines[(end + 1)..next].All(string.IsNullOrWhiteSpace))
            {
                var close = Array.IndexOf(lines, "```", next + 1);
                shown = lines[(next + 1)..close];
                end = close;
            }

            blocks.Add((commands, shown));
            i = end;
        }

        return blocks;
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

    [GeneratedRegex("^([A-Z_]+)=(.*)$")]
    private static partial Regex AssignmentPattern();

    [GeneratedRegex(@"\.([A-Za-z_]+)|\[(\d+)\]")]
    private static partial Regex JsonPathStep();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")]
    private static partial Regex Instant();

    [GeneratedRegex(@"(""correlation(?:Id)?"":"")[0-9a-f]+""")]
    private static partial Regex CorrelationId();

    [GeneratedRegex(@"\b([A-Z][A-Z0-9]{1,7})-\d{4}-(\d{6,})")]
    private static partial Regex CaseNumberYear();

    /// <summary>One curl command line of the doc, as the shell splits it, up to its first pipe.</summary>
    private sealed record Curl(string Text, string Method, string Url, IReadOnlyList<string> Headers, string? Data, bool IncludeHeaders, bool Piped, bool PipedToJq)
    {
        public static Curl Parse(string text, Dictionary<string, string> variables)
        {
            var pipe = TopLevelPipe(text);
            var words = Words(pipe < 0 ? text : text[..pipe], variables);
            Assert.Equal("curl", words[0]);
            var (method, url, data, include) = ((string?)null, (string?)null, (string?)null, false);
            var headers = new List<string>();
            for (var i = 1; i < words.Count; i++)
            {
                switch (words[i])
                {
                    case "-s":
                        break;
                    case "-si" or "-i":
                        include = true;
                        break;
                    case "-X":
                        method = words[++i];
                        break;
                    case "-H":
                        headers.Add(words[++i]);
                        break;
                    case "-d":
                        data = words[++i];
                        break;
                    case var word when !word.StartsWith('-'):
                        url = word;
                        break;
                    default:
                        throw new InvalidOperationException($"the walkthrough test does not know curl's {words[i]}: {text}");
                }
            }

            var piped = pipe >= 0 && text[(pipe + 1)..].TrimStart().StartsWith("jq -c", StringComparison.Ordinal);
            return new Curl(text, method ?? (data is null ? "GET" : "POST"), url ?? throw new InvalidOperationException($"no URL: {text}"), headers, data, include, pipe >= 0, piped);
        }

        /// <summary>The words of a shell command: '…' as written, "…" and bare words with $NAME expanded.</summary>
        public static List<string> Words(string text, Dictionary<string, string> variables)
        {
            var words = new List<string>();
            var word = new StringBuilder();
            var inWord = false;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    continue;
                }

                inWord = true;
                if (c == '\'')
                {
                    var close = text.IndexOf('\'', i + 1);
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                }
                else if (c == '"')
                {
                    var close = text.IndexOf('"', i + 1);
                    word.Append(Expand(text[(i + 1)..close], variables));
                    i = close;
                }
                else if (c == '$')
                {
                    var length = text[(i + 1)..].TakeWhile(ch => char.IsAsciiLetterUpper(ch) || ch == '_').Count();
                    word.Append(Expand(text.Substring(i, length + 1), variables));
                    i += length;
                }
                else
                {
                    word.Append(c);
                }
            }

            if (inWord)
            {
                words.Add(word.ToString());
            }

            return words;
        }

        private static string Expand(string text, Dictionary<string, string> variables) =>
            Regex.Replace(text, @"\$([A-Z_]+)", m => variables.TryGetValue(m.Groups[1].Value, out var value)
                ? value
                : throw new InvalidOperationException($"${m.Groups[1].Value} is used before the walkthrough sets it"));

        private static int TopLevelPipe(string text)
        {
            char? quote = null;
            for (var i = 0; i < text.Length; i++)
            {
                if (quote is { } q)
                {
                    quote = text[i] == q ? null : quote;
                }
                else if (text[i] is '\'' or '"')
                {
                    quote = text[i];
                }
                else if (text[i] == '|')
                {
                    return i;
                }
            }

            return -1;
        }
    }
}

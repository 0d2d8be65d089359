using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Open311Intake;

/// <summary>
/// A typed GeoReport v2 client over one endpoint (e.g. <c>http://127.0.0.1:5311/open311/v2/</c>): the service list,
/// service definitions, filing a request (form-encoded, with the <c>api_key</c>), a request's status and token
/// look-ups. Errors — the server's GeoReport error list, or anything that is not one — are thrown as
/// <see cref="Open311Exception"/> with a message fit for a person. The <see cref="HttpClient"/> is the caller's (one
/// per process, or the test server's), so this class owns nothing to dispose; it is safe to use from several threads
/// as long as the <see cref="HttpClient"/> is.
/// </summary>
internal sealed class Open311Client
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // lat/long and order arrive as strings from some servers; reading both costs nothing.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string? _apiKey;

    /// <param name="http">The HTTP client; its <c>BaseAddress</c> is not used.</param>
    /// <param name="endpoint">The GeoReport v2 endpoint, the folder that holds <c>services.json</c>.</param>
    /// <param name="apiKey">The key the server issued to this app; required to file requests, optional to read.</param>
    public Open311Client(HttpClient http, Uri endpoint, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException($"The Open311 endpoint must be an absolute URL, not '{endpoint}'.", nameof(endpoint));
        }

        _http = http;
        // Relative URIs resolve against the last '/': without it, "…/open311/v2" + "services.json" would drop "v2".
        _endpoint = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
        _apiKey = string.IsNullOrWhiteSpace(apiKey) ? null : apiKey;
    }

    /// <summary>The endpoint every path is resolved against (always ending in <c>/</c>).</summary>
    public Uri Endpoint => _endpoint;

    /// <summary><c>GET services.json</c>: the services the jurisdiction offers.</summary>
    public Task<IReadOnlyList<Open311Service>> GetServicesAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<Open311Service>>("services.json", cancellationToken);

    /// <summary><c>GET services/{code}.json</c>: the attributes of a service.</summary>
    public Task<Open311ServiceDefinition> GetServiceDefinitionAsync(string serviceCode, CancellationToken cancellationToken = default) =>
        GetAsync<Open311ServiceDefinition>($"services/{Segment(serviceCode)}.json", cancellationToken);

    /// <summary>
    /// <c>POST requests.json</c>, form-encoded with the <c>api_key</c>. When the server answers with only a token, the
    /// request id is looked up at once with <see cref="GetRequestIdForTokenAsync"/> (and stays <c>null</c> while the
    /// server does not know it yet). An <paramref name="idempotencyKey"/> makes a retry after a lost answer file nothing
    /// twice, on servers that honour the <c>Idempotency-Key</c> header.
    /// </summary>
    public async Task<Open311Receipt> FileAsync(Open311NewRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_apiKey is null)
        {
            throw new Open311Exception("Filing a request needs an api_key (--api-key or OPEN311_API_KEY).", statusCode: null, []);
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, Resolve("requests.json"))
        {
            Content = new FormUrlEncodedContent(FormFields(request, _apiKey)),
        };
        if (idempotencyKey is not null)
        {
            message.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var receipts = await SendAsync<IReadOnlyList<Open311Receipt>>(message, cancellationToken);
        var receipt = receipts.Count > 0 ? receipts[0] : throw new Open311Exception("The server accepted the request but returned no receipt.", statusCode: null, []);
        if (string.IsNullOrEmpty(receipt.ServiceRequestId) && receipt.Token is { Length: > 0 } token)
        {
            receipt = receipt with { ServiceRequestId = await GetRequestIdForTokenAsync(token, cancellationToken) };
        }

        return receipt;
    }

    /// <summary><c>GET tokens/{token}.json</c>: the request id a token became, or <c>null</c> while there is none yet.</summary>
    public async Task<string?> GetRequestIdForTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        var found = await GetAsync<IReadOnlyList<Open311Receipt>>($"tokens/{Segment(token)}.json", cancellationToken);
        return found.Select(r => r.ServiceRequestId).FirstOrDefault(id => !string.IsNullOrEmpty(id));
    }

    /// <summary><c>GET requests/{id}.json</c>: one request's status.</summary>
    public async Task<Open311ServiceRequest> GetRequestAsync(string serviceRequestId, CancellationToken cancellationToken = default)
    {
        var found = await GetAsync<IReadOnlyList<Open311ServiceRequest>>($"requests/{Segment(serviceRequestId)}.json", cancellationToken);
        return found.Count > 0
            ? found[0]
            : throw new Open311Exception($"Request {serviceRequestId} was not found.", (int)HttpStatusCode.NotFound, []);
    }

    internal static IEnumerable<KeyValuePair<string, string>> FormFields(Open311NewRequest request, string apiKey)
    {
        static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        var fields = new List<KeyValuePair<string, string>> { new("api_key", apiKey), new("service_code", request.ServiceCode) };
        void Add(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                fields.Add(new(name, value));
            }
        }

        Add("lat", request.Latitude is { } lat ? Number(lat) : null);
        Add("long", request.Longitude is { } lon ? Number(lon) : null);
        Add("address_string", request.Address);
        Add("description", request.Description);
        Add("email", request.Email);
        Add("first_name", request.FirstName);
        Add("last_name", request.LastName);
        Add("phone", request.Phone);
        Add("device_id", request.DeviceId);
        Add("account_id", request.AccountId);
        foreach (var (code, values) in request.Attributes)
        {
            // A multivaluelist is the same field repeated, as HTML forms send it.
            foreach (var value in values)
            {
                fields.Add(new($"attribute[{code}]", value));
            }
        }

        return fields;
    }

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        var uri = Resolve(path);
        if (_apiKey is not null)
        {
            uri = new Uri(uri.AbsoluteUri + "?api_key=" + Uri.EscapeDataString(_apiKey));
        }

        // The message is disposed by SendAsync.
#pragma warning disable CA2000
        return SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, uri), cancellationToken);
#pragma warning restore CA2000
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var _ = message;
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new Open311Exception($"Could not reach the Open311 endpoint {_endpoint}: {e.Message}", statusCode: null, [], e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new Open311Exception($"The Open311 endpoint {_endpoint} did not answer in time.", statusCode: null, [], e);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw Open311Exception.FromResponse(response.StatusCode, message.Method, message.RequestUri!, body);
            }

            try
            {
                return JsonSerializer.Deserialize<T>(body, Json)
                    ?? throw new Open311Exception($"{message.Method} {message.RequestUri!.AbsolutePath} returned an empty body.", (int)response.StatusCode, []);
            }
            catch (JsonException e)
            {
                throw new Open311Exception(
                    $"{message.Method} {message.RequestUri!.AbsolutePath} returned something that is not GeoReport v2 JSON: {e.Message}", (int)response.StatusCode, [], e);
            }
        }
    }

    private Uri Resolve(string path) => new(_endpoint, path);

    // Ids are data, not paths: "../admin" must not climb out of the endpoint.
    private static string Segment(string value) => Uri.EscapeDataString(value);
}

/// <summary>
/// An Open311 call that failed: the server's GeoReport error list (<see cref="Errors"/>, with its HTTP status), or a
/// transport or format problem (no errors, status <c>null</c> when there was no answer). The message is one line for
/// a person.
/// </summary>
internal sealed class Open311Exception(string message, int? statusCode, IReadOnlyList<Open311Error> errors, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The HTTP status of the answer, or <c>null</c> when there was none.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>The server's error list, empty when the answer was not one.</summary>
    public IReadOnlyList<Open311Error> Errors { get; } = errors;

    internal static Open311Exception FromResponse(HttpStatusCode status, HttpMethod method, Uri uri, string body)
    {
        var errors = ParseErrors(body);
        var what = $"{method} {uri.AbsolutePath}";
        // A 404 names what was asked for: the server's own words ("service_request_id was not found.") do not.
        var message = errors.Count > 0
            ? $"{Describe(status)}{(status == HttpStatusCode.NotFound ? $" at {what}" : "")}: {string.Join("; ", errors.Select(e => e.Description))}"
            : $"{Describe(status)} from {what}{(string.IsNullOrWhiteSpace(body) ? "" : ": " + Shorten(body))}";
        return new Open311Exception(message, (int)status, errors);
    }

    private static string Describe(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => "The server refused the request (400)",
        HttpStatusCode.Forbidden => "The api_key was refused (403)",
        HttpStatusCode.NotFound => "Not found (404)",
        _ => $"The server answered {(int)status} {status}",
    };

    private static IReadOnlyList<Open311Error> ParseErrors(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var errors = new List<Open311Error>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object
                    && item.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
                {
                    var code = item.TryGetProperty("code", out var c) ? Code(c) : 0;
                    errors.Add(new Open311Error(code, description.GetString()!));
                }
            }

            return errors;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static int Code(JsonElement code) => code.ValueKind switch
    {
        JsonValueKind.Number when code.TryGetInt32(out var number) => number,
        JsonValueKind.String when int.TryParse(code.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => number,
        _ => 0,
    };

    private static string Shorten(string body)
    {
        var line = body.ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : line[..200] + "…";
    }
}

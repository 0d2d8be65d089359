using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Open311Intake;

/// <summary>What the command line talks to: the HTTP client, the console, the environment and the clock.</summary>
internal sealed record IntakeHost(HttpClient Http, TextWriter Output, TextWriter Error, Func<string, string?> Environment, TimeProvider Time);

/// <summary>
/// <c>open311-intake services | definition | file | status | watch</c>. Exit codes: 0 done, 1 the server refused or
/// could not be reached, 2 bad arguments, 3 <c>watch</c> gave up while the request was still open, 130 cancelled.
/// </summary>
internal static class IntakeCli
{
    public const string EndpointVariable = "OPEN311_ENDPOINT";
    public const string ApiKeyVariable = "OPEN311_API_KEY";
    public const string DefaultEndpoint = "http://127.0.0.1:5311/open311/v2/";

    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadArguments = 2;
    public const int StillOpen = 3;

    public static async Task<int> RunAsync(string[] args, IntakeHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var root = Build(host);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await host.Error.WriteLineAsync($"error: {string.Join("; ", parsed.Errors.Select(e => e.Message))} (see --help)");
            return BadArguments;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = host.Output, Error = host.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (UsageException e)
        {
            await host.Error.WriteLineAsync($"error: {e.Message} (see --help)");
            return BadArguments;
        }
        catch (Open311Exception e)
        {
            await host.Error.WriteLineAsync("error: " + e.Message.ReplaceLineEndings(" "));
            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await host.Error.WriteLineAsync("cancelled");
            return 130;
        }
    }

    private static RootCommand Build(IntakeHost host)
    {
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = $"The GeoReport v2 endpoint (default: ${EndpointVariable}, else {DefaultEndpoint})",
            Recursive = true,
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = $"The api_key the server issued to this app (default: ${ApiKeyVariable}); needed to file",
            Recursive = true,
        };

        Open311Client Client(ParseResult result)
        {
            // Options win over the environment, so a script can pin one call to another server.
            var url = result.GetValue(endpoint) ?? NonEmpty(host.Environment(EndpointVariable)) ?? DefaultEndpoint;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new UsageException($"the endpoint '{url}' is not an http(s) URL such as {DefaultEndpoint}");
            }

            return new Open311Client(host.Http, uri, result.GetValue(apiKey) ?? NonEmpty(host.Environment(ApiKeyVariable)));
        }


        var root = new RootCommand("A 311 app's Open311 GeoReport v2 client: list services, file requests, follow their status")
        {
            endpoint,
            apiKey,
        };
        root.Subcommands.Add(ServicesCommand(host, Client));
        root.Subcommands.Add(DefinitionCommand(host, Client));
        root.Subcommands.Add(FileCommand(host, Client));
        root.Subcommands.Add(StatusCommand(host, Client));
        root.Subcommands.Add(WatchCommand(host, Client));
        return root;
    }

    private static Command ServicesCommand(IntakeHost host, Func<ParseResult, Open311Client> client)
    {
        var command = new Command("services", "List the services requests can be filed for");
        command.SetAction(async (result, ct) =>
        {
            var services = await client(result).GetServicesAsync(ct);
            var width = services.Select(s => s.ServiceCode.Length).DefaultIfEmpty(4).Max();
            foreach (var service in services)
            {
                var attributes = service.Metadata ? "  (has attributes: see `definition " + service.ServiceCode + "`)" : "";
                await host.Output.WriteLineAsync($"{service.ServiceCode.PadRight(width)}  {service.ServiceName}{attributes}");
            }

            return Ok;
        });
        return command;
    }

    private static Command DefinitionCommand(IntakeHost host, Func<ParseResult, Open311Client> client)
    {
        var code = new Argument<string>("service-code") { Description = "The service code, e.g. pothole" };
        var command = new Command("definition", "Show the attributes a service's requests may or must carry") { code };
        command.SetAction(async (result, ct) =>
        {
            var definition = await client(result).GetServiceDefinitionAsync(result.GetValue(code)!, ct);
            if (definition.Attributes.Count == 0)
            {
                await host.Output.WriteLineAsync($"{definition.ServiceCode} has no attributes.");
            }

            foreach (var attribute in definition.Attributes.OrderBy(a => a.Order))
            {
                var required = attribute.Required ? ", required" : "";
                await host.Output.WriteLineAsync($"{attribute.Code} ({attribute.Datatype}{required}): {attribute.Description}");
                var values = attribute.Values ?? [];
                var width = values.Select(v => v.Key.Length).DefaultIfEmpty(0).Max();
                foreach (var value in values)
                {
                    await host.Output.WriteLineAsync($"  --attribute {attribute.Code}={value.Key.PadRight(width)}  {value.Name}");
                }
            }

            return Ok;
        });
        return command;
    }

    private static Command FileCommand(IntakeHost host, Func<ParseResult, Open311Client> client)
    {
        var service = new Option<string>("--service") { Description = "The service code (see `services`)", Required = true };
        var lat = new Option<double?>("--lat") { Description = "Latitude in decimal degrees (WGS84)", CustomParser = ParseDegrees };
        var lon = new Option<double?>("--long") { Description = "Longitude in decimal degrees (WGS84)", CustomParser = ParseDegrees };
        var address = new Option<string?>("--address") { Description = "The address, when there is no lat/long or in addition to it" };
        var description = new Option<string?>("--description") { Description = "What the resident reports" };
        var attributes = new Option<string[]>("--attribute")
        {
            Description = "A service attribute as code=value; repeat it for several (or several values of one)",
            AllowMultipleArgumentsPerToken = false,
        };
        var email = new Option<string?>("--email") { Description = "The resident's e-mail" };
        var firstName = new Option<string?>("--first-name") { Description = "The resident's first name" };
        var lastName = new Option<string?>("--last-name") { Description = "The resident's last name" };
        var phone = new Option<string?>("--phone") { Description = "The resident's phone number" };
        var account = new Option<string?>("--account-id") { Description = "The resident's account in this app" };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Send the same key again after a lost answer and nothing is filed twice" };
        var command = new Command("file", "File a new service request")
        {
            service, lat, lon, address, description, attributes, email, firstName, lastName, phone, account, idempotencyKey,
        };
        command.SetAction(async (result, ct) =>
        {
            // Checked here rather than in a validator: System.CommandLine runs validators even after an option failed
            // to convert, and reading that option then throws instead of reporting the conversion error.
            var latitude = result.GetValue(lat);
            var longitude = result.GetValue(lon);
            if (latitude.HasValue != longitude.HasValue)
            {
                throw new UsageException("--lat and --long go together.");
            }

            if (latitude is null && string.IsNullOrWhiteSpace(result.GetValue(address)))
            {
                throw new UsageException("a location is required: --lat and --long, or --address.");
            }

            if (latitude is < -90 or > 90 || longitude is < -180 or > 180)
            {
                throw new UsageException("--lat must be from -90 to 90 and --long from -180 to 180.");
            }

            var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var attribute in result.GetValue(attributes) ?? [])
            {
                if (!TrySplitAttribute(attribute, out var code, out var value))
                {
                    throw new UsageException($"--attribute '{attribute}' is not code=value.");
                }

                (values.TryGetValue(code, out var list) ? list : values[code] = []).Add(value);
            }

            var request = new Open311NewRequest(result.GetValue(service)!)
            {
                Latitude = latitude,
                Longitude = longitude,
                Address = result.GetValue(address),
                Description = result.GetValue(description),
                Email = result.GetValue(email),
                FirstName = result.GetValue(firstName),
                LastName = result.GetValue(lastName),
                Phone = result.GetValue(phone),
                AccountId = result.GetValue(account),
                Attributes = values.ToDictionary(v => v.Key, v => (IReadOnlyList<string>)v.Value, StringComparer.Ordinal),
            };
            var receipt = await client(result).FileAsync(request, result.GetValue(idempotencyKey), ct);
            await host.Output.WriteLineAsync(receipt.ServiceRequestId is { Length: > 0 } id
                ? $"Filed {id} (token {receipt.Token ?? "–"})"
                : $"Filed; the request id is not known yet. Token: {receipt.Token} (ask again with `status --token {receipt.Token}` later)");
            if (!string.IsNullOrWhiteSpace(receipt.ServiceNotice))
            {
                await host.Output.WriteLineAsync(receipt.ServiceNotice);
            }

            return Ok;
        });
        return command;
    }

    private static Command StatusCommand(IntakeHost host, Func<ParseResult, Open311Client> client)
    {
        var id = new Argument<string>("id") { Description = "The service_request_id (e.g. DEMO-2026-000001), or a token with --token" };
        var byToken = new Option<bool>("--token") { Description = "The id is the token a filing returned" };
        var command = new Command("status", "Show a request's status") { id, byToken };
        command.SetAction(async (result, ct) =>
        {
            var open311 = client(result);
            var requestId = result.GetValue(id)!;
            if (result.GetValue(byToken))
            {
                requestId = await open311.GetRequestIdForTokenAsync(requestId, ct)
                    ?? throw new Open311Exception($"Token {requestId} has no request id yet; try again later.", statusCode: null, []);
            }

            await WriteRequestAsync(host.Output, await open311.GetRequestAsync(requestId, ct));
            return Ok;
        });
        return command;
    }

    private static Command WatchCommand(IntakeHost host, Func<ParseResult, Open311Client> client)
    {
        var id = new Argument<string>("id") { Description = "The service_request_id" };
        var interval = new Option<TimeSpan>("--interval")
        {
            Description = "Time between polls: 30s, 5m or seconds (default 10s)",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseInterval,
        };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "Give up after this long: 30s, 10m, 2h or seconds (default 10m)",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(10),
            CustomParser = ParseTimeout,
        };
        var command = new Command("watch", "Poll a request until it is closed or the timeout passes (exit code 3 if still open)") { id, interval, timeout };
        command.SetAction(async (result, ct) =>
        {
            var outcome = await RequestWatcher.WatchAsync(
                client(result), result.GetValue(id)!, result.GetValue(interval), result.GetValue(timeout), host.Time,
                async request =>
                {
                    var notes = string.IsNullOrWhiteSpace(request.StatusNotes) ? "" : $" — {request.StatusNotes}";
                    await host.Output.WriteLineAsync($"{Format(request.UpdatedDatetime)}  {request.ServiceRequestId}  {request.Status}{notes}");
                },
                ct);
            if (outcome.Closed)
            {
                return Ok;
            }

            await host.Error.WriteLineAsync($"{outcome.Last.ServiceRequestId} is still {outcome.Last.Status} after {Describe(result.GetValue(timeout))}.");
            return StillOpen;
        });
        return command;
    }

    private static async Task WriteRequestAsync(TextWriter output, Open311ServiceRequest request)
    {
        var rows = new (string Label, string? Value)[]
        {
            ("request", request.ServiceRequestId),
            ("status", request.Status),
            ("notes", request.StatusNotes),
            ("service", request.ServiceName is null ? request.ServiceCode : $"{request.ServiceName} ({request.ServiceCode})"),
            ("description", request.Description),
            ("address", request.Address),
            ("location", request.Lat is { } lat && request.Long is { } lon ? string.Create(CultureInfo.InvariantCulture, $"{lat}, {lon}") : null),
            ("agency", request.AgencyResponsible),
            ("requested", Format(request.RequestedDatetime)),
            ("updated", Format(request.UpdatedDatetime)),
            ("expected", Format(request.ExpectedDatetime)),
        };
        foreach (var (label, value) in rows.Where(r => !string.IsNullOrWhiteSpace(r.Value)))
        {
            await output.WriteLineAsync($"{label,-12}{value}");
        }
    }

    private static string? Format(DateTimeOffset? value) =>
        value?.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    private static string Describe(TimeSpan span) =>
        span.TotalMinutes >= 1 && span.Seconds == 0 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";

    internal static bool TrySplitAttribute(string text, out string code, out string value)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        code = equals > 0 ? text[..equals].Trim() : "";
        value = equals > 0 ? text[(equals + 1)..] : "";
        return code.Length > 0 && value.Length > 0;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static TimeSpan ParseInterval(ArgumentResult result) => ParseDuration(result, mustBePositive: true);

    private static TimeSpan ParseTimeout(ArgumentResult result) => ParseDuration(result, mustBePositive: false);

    private static TimeSpan ParseDuration(ArgumentResult result, bool mustBePositive)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        var (number, unit) = text.Length > 0 && char.IsLetter(text[^1]) ? (text[..^1], text[^1]) : (text, 's');
        var duration = TimeSpan.MinValue;
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && double.IsFinite(amount) && amount >= 0)
        {
            duration = unit switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => TimeSpan.MinValue,
            };
        }

        if (duration == TimeSpan.MinValue)
        {
            result.AddError($"{OptionName(result)} '{text}' is not a duration such as 30s, 5m, 2h or a number of seconds.");
        }
        else if (mustBePositive && duration == TimeSpan.Zero)
        {
            result.AddError($"{OptionName(result)} must be more than zero.");
        }

        return duration;
    }

    private static double? ParseDegrees(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var degrees) && double.IsFinite(degrees))
        {
            return degrees;
        }

        result.AddError($"{OptionName(result)} '{text}' is not a number of decimal degrees such as 42.3601.");
        return null;
    }

    private static string OptionName(ArgumentResult result) => (result.Parent as OptionResult)?.Option.Name ?? result.Argument.Name;
}

/// <summary>A bad argument found only when it is used (the endpoint from the environment, say): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

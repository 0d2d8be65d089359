using EventCase.Cases.Agencies;
using EventCase.Cases.ReadModels;
using EventCase.Hosting;
using EventCase.Server.Admin;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Health;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using EventCase.Server.Open311;
using EventCase.Server.Reports;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using NodaTime;

var builder = WebApplication.CreateBuilder(args);

// Loopback by default: a fresh checkout must not expose an API with a development key to the network.
if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]) && string.IsNullOrWhiteSpace(builder.Configuration["ASPNETCORE_URLS"])
    && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5311");
}

builder.Services.AddOptions<ServerSettings>().Bind(builder.Configuration.GetSection(ServerSettings.Section)).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<ServerSettings>, ServerSettingsValidation>();
builder.Services.AddOptions<Open311Settings>().Bind(builder.Configuration.GetSection(Open311Settings.Section)).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<Open311Settings>, Open311SettingsValidation>();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    ApiJson.Configure(o.SerializerOptions);
    // Bodies are read by JsonBody with ApiJson.Request, which refuses numbers in strings; these options write responses
    // and describe the schemas in the OpenAPI document, which would otherwise say "integer or string" for every number.
    o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
});
// Ahead of the default writer (writers are asked in the order they were added): Open311 paths answer in GeoReport errors.
builder.Services.AddSingleton<IProblemDetailsWriter, Open311ErrorWriter>();
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDefaults.Customize);
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
builder.Services.AddExceptionHandler<UnexpectedErrorHandler>();
builder.Services.AddSingleton<UnexpectedErrors>();
builder.Services.AddSingleton<IClock>(SystemClock.Instance);
builder.Services.AddSingleton<CalendarCache>();
builder.Services.AddSingleton<EventCaseDatabase>();
builder.Services.AddSingleton<ReadinessChecks>();
builder.Services.AddSingleton(sp => new ReferenceData(() => sp.GetRequiredService<EventCaseDatabase>().Store, sp.GetRequiredService<CalendarCache>()));
builder.Services.AddHostedService<DatabaseStartup>();
builder.Services.AddHostedService(sp =>
{
    var database = sp.GetRequiredService<EventCaseDatabase>();
    return new ProjectionDaemonService(
        async stoppingToken =>
        {
            await database.WhenReady.WaitAsync(stoppingToken);
            return database.Store;
        },
        sp.GetRequiredService<ILoggerFactory>());
});
builder.Services.AddHostedService(sp =>
{
    var database = sp.GetRequiredService<EventCaseDatabase>();
    return new CalendarRefreshService(
        async stoppingToken =>
        {
            await database.WhenReady.WaitAsync(stoppingToken);
            return sp.GetRequiredService<ReferenceData>();
        },
        sp.GetRequiredService<ILogger<CalendarRefreshService>>());
});
builder.Services.AddEventCaseAuth();
builder.Services.AddOpenApi(o => o.ExcludeHead().AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "EventCase API";
    document.Info.Description = "Event-sourced case management: REST API, Open311 GeoReport v2, time travel, audit. Errors are RFC 9457 problem details with type https://eventcase.dev/problems/{code}.";
    return Task.CompletedTask;
}).AddDocumentTransformer(OpenApiResponses.AddSharedResponses).AddSchemaTransformer(OpenApiSchemas.DescribeTextValues).AddSchemaTransformer(OpenApiSchemas.DescribeRequiredProperties)
    .AddOperationTransformer(OpenApiParameters.DescribeParameters));
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
// The host logs a failed start or stop with its whole exception before it throws; Program says what failed itself
// (below), so that an address in use is one line and not a stack trace. The host's category logs nothing else at Error
// but a faulted background service, which it also logs as Critical (and then stops).
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

var app = builder.Build();

app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCorrelationAndRequestLogging();
app.UseAuthentication();
app.UseAuthorization();

// Fail at start-up, not on the first request, when production has no signing key: in one line and exit code 1, as for
// the other settings the service cannot use, not an unhandled exception that aborts the process with 134.
try
{
    _ = app.Services.GetRequiredService<TokenKeys>();
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync("error: " + e.Message);
    await app.DisposeAsync();
    return 1;
}

app.MapOpenApi().AnswerHeadAndPreconditions();
// Every route is mapped under one group that checks the values in its URL first: route values the service can take,
// single-valued query parameters given once (RequestValues); its GET routes also take HEAD and honour If-Match and
// If-None-Match (ReadRequests).
var routes = app.MapGroup("").CheckRequestValues().AnswerHeadAndPreconditions();
if (app.Environment.IsDevelopment())
{
    routes.MapDevTokenApi();
}

routes.MapHealthApi();
routes.MapCasesApi();
routes.MapReportsApi();
routes.MapAdminApi();
routes.MapOpen311Api();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    var database = app.Services.GetRequiredService<EventCaseDatabase>();
    foreach (var address in addresses)
    {
        Console.WriteLine($"EventCase is listening on {address}  (OpenAPI: {address}/openapi/v1.json, health: {address}/health/ready)");
    }

    if (database.EmbeddedDataDirectory is { } directory)
    {
        Console.WriteLine($"Embedded PostgreSQL data directory: {directory}");
    }

    if (app.Environment.IsDevelopment())
    {
        // The address itself, not a placeholder: the line is pasted into a terminal as it stands.
        var url = addresses.FirstOrDefault() ?? "<url>";
        Console.WriteLine($"Development: get a token with  curl -s -X POST {url}/dev/token -H 'Content-Type: application/json' -d '{{\"role\":\"agent\",\"agency\":\"demo-city\"}}'");
    }
});

try
{
    try
    {
        await app.StartAsync();
    }
    catch (Exception e) when (AddressInUse(e))
    {
        // Kestrel's message names the address and the cause; the stack trace would only hide them.
        await Console.Error.WriteLineAsync($"error: {e.Message} Another process is listening there: stop it, or give another address with --urls.");
        return 1;
    }
    catch (OptionsValidationException e)
    {
        // A setting the service cannot use: what is wrong with each, in one line, as for the other start-up failures.
        await Console.Error.WriteLineAsync("error: " + string.Join(" ", e.Failures));
        return 1;
    }
    catch (Exception e) when (DatabaseUnavailableHandler.IsDatabaseUnavailable(e))
    {
        // The database never answered within EventCase:StartupTimeoutSeconds: one line that says so and what to check;
        // the stack trace of a refused connection says nothing more.
        var waited = app.Services.GetRequiredService<IOptions<ServerSettings>>().Value.StartupTimeoutSeconds;
        await Console.Error.WriteLineAsync(FormattableString.Invariant(
            $"error: the database could not be reached (waited {waited:0.#} s, EventCase:StartupTimeoutSeconds): {e.GetBaseException().Message}. Check that PostgreSQL is running and that ConnectionStrings:EventCase points at it."));
        return 1;
    }
    catch (Exception e)
    {
        // The log keeps the stack trace for a bug report; the operator, or the supervisor restarting the service, gets
        // the reason in one line and exit code 1 (a schema a newer build migrated, a log restored from another
        // cluster), as from `eventcase serve`, not an unhandled exception that aborts the process with 134.
        app.Logger.LogCritical(e, "EventCase could not start");
        await Console.Error.WriteLineAsync("error: " + e.Message);
        return 1;
    }

    try
    {
        await app.WaitForShutdownAsync();
    }
    catch (Exception e)
    {
        app.Logger.LogCritical(e, "EventCase did not stop cleanly");
        throw;
    }

    return 0;
}
finally
{
    await app.DisposeAsync();
}

static bool AddressInUse(Exception e)
{
    for (Exception? cause = e; cause is not null; cause = cause.InnerException)
    {
        if (cause is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            return true;
        }
    }

    return false;
}

/// <summary>The entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;

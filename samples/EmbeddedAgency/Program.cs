using System.Text.Json;
using System.Text.Json.Serialization;
using EmbeddedAgency;
using EmbeddedAgency.Queues;
using EmbeddedAgency.Requests;
using EventCase.Hosting;

var builder = WebApplication.CreateBuilder(args);

// The whole engine, in one call: the database (the configured connection string, or an embedded PostgreSQL when there
// is none), migrations, the built-in read models, the projection daemon, and the agency this host serves.
builder.Services.AddEventCase(options =>
{
    options.ConnectionString = builder.Configuration.GetConnectionString("EventCase");
    options.AddAgency(Springfield.Agency, Springfield.Configure);
});

// The host's own API: problem details for every error, enums as camelCase strings. A body that is not the expected
// JSON fails model binding with a BadHttpRequestException: a 400 that names the JSON path at fault, never a 500.
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
{
    if (context.Exception is BadHttpRequestException { InnerException: JsonException json })
    {
        var field = json.Path is null or "$" ? "body" : json.Path.TrimStart('$', '.');
        context.ProblemDetails.Detail = "The body is not the JSON this route expects.";
        context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [json.Message] };
    }
});
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));

var app = builder.Build();
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
});
app.UseStatusCodePages();
app.MapRequestsApi();
app.MapQueuesApi();
await app.RunAsync();

/// <summary>The entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;

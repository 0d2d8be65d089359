using System.CommandLine;
using EventCase.Cli.Hosting;
using Microsoft.AspNetCore.Http;

namespace EventCase.Cli.Serve;

/// <summary><c>eventcase serve</c>: runs the HTTP service (REST, Open311, projections) in this process.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = "Where to listen, separated by ';' (default http://127.0.0.1:5311)" };
        urls.AddValidator(r =>
        {
            // Checked with the parser the server itself uses, before the service starts: a bad address would
            // otherwise surface only once the database is migrated and the projections are running.
            foreach (var url in (r.GetValueOrDefault<string?>() ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    _ = BindingAddress.Parse(url);
                }
                catch (FormatException)
                {
                    r.AddError($"--urls: '{url}' is not an address to listen on, such as http://127.0.0.1:5311.");
                }
            }
        });
        var environment = new Option<string>("--environment") { Description = "ASP.NET Core environment; Production needs Auth:SigningKey (e.g. $Auth__SigningKey), Development generates one and enables dev tokens", DefaultValueFactory = _ => "Production" };
        var command = new Command("serve", "Run the EventCase service: REST API, Open311, projection daemon (embedded PostgreSQL unless --connection)") { urls, environment };
        command.AddExamples(
            "eventcase serve --environment Development",
            "eventcase serve --connection \"Host=db;Username=eventcase;Database=eventcase\" --urls http://0.0.0.0:5311");
        command.SetAction(async (result, ct) =>
        {
            var args = ServiceArguments(result, result.GetValue(environment)!, result.GetValue(urls), Environment.GetEnvironmentVariable);

            // The service's own entry point, so that `serve` and `dotnet run --project src/EventCase.Server` are one program.
            var entryPoint = typeof(EventCase.Server.Hosting.EventCaseDatabase).Assembly.EntryPoint
                ?? throw new InvalidOperationException("the service assembly has no entry point");
            object? run;
            try
            {
                run = entryPoint.Invoke(null, [args.ToArray()]);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
            {
                // The service's own error (e.g. no signing key in Production), not the reflection wrapper.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }

            switch (run)
            {
                case Task<int> withCode:
                    return await withCode.WaitAsync(ct);
                case Task task:
                    await task.WaitAsync(ct);
                    return 0;
                case int code:
                    return code;
                default:
                    return 0;
            }
        });
        return command;
    }

    /// <summary>
    /// The service's command line for a <c>serve</c> command line. Options given on it win; otherwise the service's own
    /// configuration does (<c>ConnectionStrings__EventCase</c>, <c>EventCase__Schema</c>, its settings files), and the
    /// CLI's <c>EVENTCASE_CONNECTION</c> only stands in for a connection string the service is not given. Passed as
    /// command-line arguments, which outrank every other source, the defaults of <c>--schema</c> and
    /// <c>EVENTCASE_CONNECTION</c> overrode them: an agency moving its service to <c>serve</c> with
    /// <c>EventCase__Schema</c> set got an empty, demo-seeded schema beside its data.
    /// </summary>
    internal static List<string> ServiceArguments(ParseResult result, string environmentName, string? urls, Func<string, string?> environment)
    {
        var options = GlobalOptions.From(result);
        var args = new List<string> { "--environment", environmentName };
        if (result.GetResult(GlobalOptions.SchemaOption) is { Implicit: false })
        {
            args.AddRange(["--EventCase:Schema", options.Schema]);
        }

        var connection = options.Connection
            ?? (string.IsNullOrEmpty(environment("ConnectionStrings__EventCase")) ? environment("EVENTCASE_CONNECTION") : null);
        if (options.Connection is null && !string.IsNullOrWhiteSpace(connection) && GlobalOptions.ConnectionStringProblem(connection) is { } problem)
        {
            // As every other command: the service reported it as its own start-up failure, a stack trace and a line
            // ("Couldn't set port") naming neither the variable nor what it must be.
            throw CliException.BadArgument(GlobalOptions.NotAConnectionString("EVENTCASE_CONNECTION", problem));
        }

        if (connection is { Length: > 0 })
        {
            args.AddRange(["--ConnectionStrings:EventCase", connection]);
        }

        if (options.DataDirectory is { } directory)
        {
            args.AddRange(["--EventCase:DataDirectory", directory]);
        }

        if (urls is not null)
        {
            args.AddRange(["--urls", urls]);
        }

        return args;
    }
}

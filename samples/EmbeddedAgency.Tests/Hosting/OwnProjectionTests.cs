using EventCase.Cases;
using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.Intake;
using EventCase.Cases.Opening;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using EventCase.Hosting;
using EventCase.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace EmbeddedAgency.Tests.Hosting;

/// <summary>A host registers projections of its own through the options, beside the built-in ones.</summary>
public sealed class OwnProjectionTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IHost Build(string schema, params Projection[] projections) => Build(schema, database.ConnectionString, null, projections);

    private static IHost Build(string schema, string? connectionString, string? embeddedDataDirectory, params Projection[] projections) =>
        Build(schema, connectionString, embeddedDataDirectory, null, projections);

    private static IHost Build(string schema, string? connectionString, string? embeddedDataDirectory, ILoggerProvider? logs, params Projection[] projections)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddEventCase(o =>
        {
            o.ConnectionString = connectionString;
            o.EmbeddedDataDirectory = embeddedDataDirectory;
            o.Schema = schema;
            o.ProjectionDaemon.PollInterval = TimeSpan.FromMilliseconds(200);
            o.AddAgency("ogdenville", agency => agency
                .AddService("pothole", "Pothole", "A hole.", SlaTarget.BusinessHours(40))
                .AddService("graffiti", "Graffiti", "Paint.", SlaTarget.BusinessHours(80), CasePriority.Low));
            foreach (var projection in projections)
            {
                o.Projections.Add(projection);
            }
        });
        return builder.Build();
    }

    [Fact]
    public async Task A_projection_of_the_hosts_own_is_created_at_start_and_kept_current_by_the_daemon()
    {
        var schema = "own_" + Guid.NewGuid().ToString("N")[..8];
        using var host = Build(schema, new CasesPerService());
        await host.StartAsync(Ct);
        try
        {
            var intake = host.Services.GetRequiredService<CaseIntake>();
            var context = new CommandContext(new AgencyId("ogdenville"), "agent-1", "agent", "corr-1", "api");
            foreach (var service in new[] { "pothole", "pothole", "graffiti" })
            {
                var opened = await intake.OpenAsync(
                    context, "OGD", new IntakeRequest(new ServiceCode(service), "Seen on Main St", null, new CaseLocation(null, "Main St"), Channel.Phone, new Dictionary<string, IReadOnlyList<string>>(), null),
                    SystemClock.Instance.GetCurrentInstant(), Ct);
                Assert.IsType<IntakeResult.Handled>(opened);
            }

            var dataSource = host.Services.GetRequiredService<EventCaseEngine>().DataSource;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            Dictionary<string, int> counts;
            do
            {
                await Task.Delay(50, Ct);
                counts = [];
                await using var command = dataSource.CreateCommand($"SELECT row_key, opened FROM {schema}.cases_per_service");
                await using var reader = await command.ExecuteReaderAsync(Ct);
                while (await reader.ReadAsync(Ct))
                {
                    counts[reader.GetString(0)] = reader.GetInt32(1);
                }
            }
            while (counts.GetValueOrDefault("graffiti") != 1 && DateTime.UtcNow < deadline);

            Assert.Equal(new Dictionary<string, int> { ["pothole"] = 2, ["graffiti"] = 1 }, counts);
            var status = (await host.Services.GetRequiredService<EventCaseEngine>().Store.Projections.GetStatusAsync(Ct)).Single(s => s.Name == "cases_per_service");
            Assert.Equal(ProjectionMode.Async, status.Mode);
        }
        finally
        {
            await host.StopAsync(Ct);
        }
    }

    [Fact]
    public async Task A_projection_named_like_a_built_in_one_stops_the_host_at_start_naming_it()
    {
        using var host = Build("own_" + Guid.NewGuid().ToString("N")[..8], new CasesPerService("sla_clocks"));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(Ct));

        Assert.Contains("sla_clocks", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_projection_named_like_a_case_table_stops_the_host_at_start_naming_it_instead_of_breaking_the_case_migration()
    {
        using var host = Build("own_" + Guid.NewGuid().ToString("N")[..8], new CasesPerService("case_number_sequences"));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(Ct));

        Assert.Contains("Projection table name 'case_number_sequences' is reserved", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_projection_in_the_options_stops_the_host_at_start_saying_so()
    {
        using var host = Build("own_" + Guid.NewGuid().ToString("N")[..8], [null!]);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(Ct));

        Assert.Contains("A projection of the host's own is null", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_projection_named_like_a_built_in_one_fails_the_options_check_and_creates_nothing()
    {
        var schema = "own_" + Guid.NewGuid().ToString("N")[..8];
        using var host = Build(schema, new CasesPerService("sla_clocks"));

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("EventCase: Projections: Projection names and tables must be unique; repeated: sla_clocks", failure.Message, StringComparison.Ordinal);
        Assert.False(await SchemaExistsAsync(schema));
    }

    [Fact]
    public async Task A_null_projection_fails_the_options_check_naming_its_position_and_creates_nothing()
    {
        var schema = "own_" + Guid.NewGuid().ToString("N")[..8];
        using var host = Build(schema, new CasesPerService(), null!);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("A projection of the host's own is null (Projections[1])", failure.Message, StringComparison.Ordinal);
        Assert.False(await SchemaExistsAsync(schema));
    }

    [Fact]
    public async Task A_clashing_projection_on_the_embedded_cluster_fails_before_the_cluster_is_created()
    {
        // Under /tmp (world-traversable): a cluster created by mistake, as root, would be the unprivileged postgres user's.
        var directory = Path.Combine(Path.GetTempPath(), "eventcase-own-projection-" + Guid.NewGuid().ToString("N")[..12], "postgres");
        try
        {
            using var host = Build("eventcase", null, directory, new CasesPerService("case_number_sequences"));

            var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

            Assert.Contains("Projection table name 'case_number_sequences' is reserved", failure.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(directory), $"{directory} was created");
        }
        finally
        {
            if (Directory.Exists(Path.GetDirectoryName(directory)))
            {
                Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
            }
        }
    }

    /// <summary>
    /// An inline projection is written by the appends of the processes that register it, and by no other: a host (or
    /// the service) started on a database where another host records one, without registering it, wrote cases that
    /// were missing from it for good, and nothing said so (status and readiness showed it current: inline projections
    /// have no lag).
    /// </summary>
    [Fact]
    public async Task A_host_that_does_not_register_an_inline_projection_recorded_in_the_database_warns_that_its_cases_will_be_missing_from_it()
    {
        var schema = "own_" + Guid.NewGuid().ToString("N")[..8];
        using (var registering = Build(schema, new CasesOpened()))
        {
            await registering.StartAsync(Ct);
            await registering.StopAsync(Ct);
        }

        var logs = new WarningLines();
        using var other = Build(schema, database.ConnectionString, null, logs);
        await other.StartAsync(Ct);
        await other.StopAsync(Ct);

        var warning = Assert.Single(logs.Lines, line => line.Contains("cases_opened", StringComparison.Ordinal));
        Assert.Contains("Inline projection cases_opened is recorded in the database but not registered in this process", warning, StringComparison.Ordinal);
        Assert.Contains("cases this process writes are missing from it until it is rebuilt", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_check_lists_projection_problems_with_every_other_problem()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddEventCase(o =>
        {
            o.AddAgency("springfield", _ => { });
            o.Projections.Add(new CasesPerService("Not A Name"));
            o.Projections.Add(new CasesPerService("work_queue"));
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventCaseOptions>>().Value);

        Assert.Contains("EventCase: Agency 'springfield' has no services", error.Message, StringComparison.Ordinal);
        Assert.Contains("EventCase: Projections: projection name 'Not A Name' must be a lower-case SQL identifier", error.Message, StringComparison.Ordinal);
        Assert.Contains("EventCase: Projections: Projection names and tables must be unique; repeated: work_queue", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
    }

    private async Task<bool> SchemaExistsAsync(string schema)
    {
        await using var command = database.DataSource.CreateCommand("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)");
        command.Parameters.AddWithValue(schema);
        return (bool)(await command.ExecuteScalarAsync(Ct))!;
    }

    private sealed record CaseOpenedRow(string Service);

    /// <summary>An inline projection: one row per case, its service.</summary>
    private sealed class CasesOpened : Projection<CaseOpenedRow>
    {
        public override string Name => "cases_opened";

        public override ProjectionMode Mode => ProjectionMode.Inline;

        public override IReadOnlyCollection<Type> EventTypes => [typeof(CaseOpened)];

        public override bool ReadsMetadata => false;

        public override IReadOnlyList<ProjectionColumn<CaseOpenedRow>> Columns => [ProjectionColumn<CaseOpenedRow>.Text("service", r => r.Service)];

        public override CaseOpenedRow? Apply(CaseOpenedRow? row, RecordedEvent recorded, ProjectionOutput output) =>
            recorded.Data is CaseOpened opened ? new CaseOpenedRow(opened.Service.Value) : row;
    }

    /// <summary>The warnings a host logs.</summary>
    private sealed class WarningLines : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                _lines.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }

    private sealed record ServiceCount(string Service, int Opened);

    /// <summary>How many cases each service has had opened: one row per service, across all its cases' streams.</summary>
    private sealed class CasesPerService(string name = "cases_per_service") : Projection<ServiceCount>
    {
        public override string Name => name;

        public override IReadOnlyCollection<Type> EventTypes => [typeof(CaseOpened)];

        public override bool ReadsMetadata => false;

        public override IReadOnlyList<ProjectionColumn<ServiceCount>> Columns => [ProjectionColumn<ServiceCount>.Int("opened", r => r.Opened)];

        public override string? RowKey(RecordedEvent recorded) => recorded.Data is CaseOpened opened ? opened.Service.Value : null;

        public override ServiceCount? Apply(ServiceCount? row, RecordedEvent recorded, ProjectionOutput output) => recorded.Data switch
        {
            CaseOpened opened => new ServiceCount(opened.Service.Value, (row?.Opened ?? 0) + 1),
            _ => row,
        };
    }
}

using EventCase.Cases.Calendars;
using EventCase.Cases.Sla;
using EventCase.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmbeddedAgency.Tests.Hosting;

/// <summary>A misconfigured host does not start, and says what to fix, naming the agency and the setting.</summary>
public sealed class AddEventCaseOptionsTests
{
    private static void Pothole(AgencyOptions agency) => agency.AddService("pothole", "Pothole", "A hole.", SlaTarget.BusinessHours(40));

    private static OptionsValidationException Problems(Action<EventCaseOptions> configure)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddEventCase(configure);
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventCaseOptions>>().Value);
    }

    [Fact]
    public void A_host_without_agencies_is_told_to_add_one()
    {
        var error = Problems(_ => { });

        Assert.Contains("No agency is configured", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_agency_without_an_id_is_named_by_its_position()
    {
        var error = Problems(o => o.AddAgency(" ", Pothole));

        Assert.Contains("Agencies[0] has no id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_agency_twice_is_refused()
    {
        var error = Problems(o => o.AddAgency("springfield", Pothole).AddAgency("springfield", Pothole));

        Assert.Contains("Agency 'springfield' is configured more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_agency_whose_catalog_has_no_services_is_refused()
    {
        var error = Problems(o => o.AddAgency("shelbyville", _ => { }));

        Assert.Contains("Agency 'shelbyville' has no services", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_naming_its_agency_and_setting()
    {
        var error = Problems(o => o
            .AddAgency("Not An Id", Pothole)
            .AddAgency("springfield", a =>
            {
                Pothole(a);
                a.AddService("pothole", "Again", "Twice.", SlaTarget.BusinessHours(8));
                a.AddService("noise", "Noise", "Loud.", null!);
                a.CaseNumberPrefix = "spr";
                a.Calendar = CalendarDefinition.Default with { Zone = "Mars/Olympus_Mons" };
                a.AddRoutingRule("snow", "plows", null, "snow-plowing");
            }));

        Assert.Contains("Agency 'Not An Id': its id is not valid", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agency 'springfield': service 'pothole' is defined more than once", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agency 'springfield': service 'noise' has no Sla target", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agency 'springfield': CaseNumberPrefix 'spr' is not valid", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Mars/Olympus_Mons' is not a known IANA time zone id", error.Message, StringComparison.Ordinal);
        Assert.Contains("routing rule 'snow' names service 'snow-plowing', which is not in the agency's catalog", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_name_that_could_not_be_put_in_sql_safely_is_refused()
    {
        var error = Problems(o =>
        {
            o.Schema = "eventcase; DROP TABLE x";
            o.AddAgency("springfield", Pothole);
        });

        Assert.Contains("is not a plain schema name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_named_after_a_reserved_sql_key_word_is_refused()
    {
        var error = Problems(o =>
        {
            o.Schema = "user";
            o.AddAgency("springfield", Pothole);
        });

        Assert.Contains("Schema 'user' is a reserved SQL key word", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Projection_daemon_settings_out_of_range_are_refused_each_named()
    {
        var error = Problems(o =>
        {
            o.AddAgency("springfield", Pothole);
            o.ProjectionDaemon.BatchSize = 0;
            o.ProjectionDaemon.RebuildBatchSize = 0;
            o.ProjectionDaemon.PollInterval = TimeSpan.FromSeconds(-5);
        });

        Assert.Contains("EventCase: ProjectionDaemon.BatchSize is 0: it must be between 1 and 100,000.", error.Message, StringComparison.Ordinal);
        Assert.Contains("EventCase: ProjectionDaemon.RebuildBatchSize is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("EventCase: ProjectionDaemon.PollInterval is -00:00:05: it must be more than zero", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_projection_daemon_settings_out_of_range_fails_to_start_before_it_touches_a_database()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddEventCase(o =>
        {
            o.ConnectionString = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=1";
            o.AddAgency("springfield", Pothole);
            o.ProjectionDaemon.NodeId = "";
            o.ProjectionDaemon.OwnershipRetryInterval = TimeSpan.Zero;
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ProjectionDaemon.NodeId is blank", error.Message, StringComparison.Ordinal);
        Assert.Contains("ProjectionDaemon.OwnershipRetryInterval is 00:00:00", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_options_pass()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddEventCase(o => o.AddAgency("springfield", EmbeddedAgency.Springfield.Configure));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EventCaseOptions>>().Value;

        Assert.Equal("springfield", Assert.Single(options.Agencies).Id);
    }

    [Fact]
    public void Registering_the_engine_twice_is_refused()
    {
        var services = new ServiceCollection();
        services.AddEventCase(o => o.AddAgency("springfield", Pothole));

        var error = Assert.Throws<InvalidOperationException>(() => services.AddEventCase(o => o.AddAgency("shelbyville", Pothole)));

        Assert.Contains("AddEventCase was already called", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misconfigured_host_fails_to_start_before_it_touches_a_database()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // Nothing listens on port 1: a host that tried to connect would fail differently (and slowly).
        builder.Services.AddEventCase(o =>
        {
            o.ConnectionString = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=1";
            o.AddAgency("springfield", _ => { });
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Agency 'springfield' has no services", error.Message, StringComparison.Ordinal);
    }
}

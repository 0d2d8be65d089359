using EventCase.Cases.Agencies;
using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Catalog;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.Cases.Tests.Handling;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Transferring;

public sealed class CaseTransferTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly EventMetadata Admin = new("admin-1", "admin");
    private static readonly TeamId Highways = new("highways");

    private ReferenceData? _reference;

    private ReferenceData Reference => _reference ??= new ReferenceData(() => Store, new CalendarCache());

    private CaseTransfer Transfer(CaseCommandHandlerOptions? options = null) => new(Reference, Handler(options));

    private static CommandContext Supervisor(AgencyId agency) => Agent(agency, "sue", "Their road");

    [Fact]
    public async Task A_transfer_to_an_agency_without_a_catalog_is_refused_and_writes_nothing()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var nowhere = NewAgency();
        var before = await ReadAsync(from, caseId);

        var result = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, nowhere, "Their road"), "NOPE", Later(10), Ct);

        Assert.Equal(new TransferResult.UnknownAgency(nowhere), result);
        Assert.Equal(before.Count, (await ReadAsync(from, caseId)).Count);
        Assert.Equal(CaseStatus.Assigned, (await Handler().LoadStateAsync(from, caseId, Ct)).State.Status);
        Assert.Empty(await StreamsOfAsync(nowhere));
    }

    [Fact]
    public async Task A_transfer_opens_the_receiving_case_in_its_agencys_queue_and_each_case_names_the_other()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = await ReceivingAgencyAsync();
        await Handler().HandleAsync(new ChangePriority(caseId, CasePriority.High, "Bus route", Later(3)), Agent(from), Ct);

        var result = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, to, "Their road"), "MDOT", Later(10), Ct);

        var handled = Assert.IsType<TransferResult.Handled>(result);
        var accepted = Assert.IsType<CaseCommandResult.Accepted>(handled.Result);
        var receiving = handled.Receiving!;
        Assert.Equal("MDOT-2026-000001", receiving.Number.Value);
        var transferred = Assert.IsType<CaseTransferred>(Assert.Single(accepted.Events));
        Assert.Equal((to, receiving.CaseId, receiving.Number), (transferred.ToAgency, transferred.ToCaseId, transferred.ToNumber));
        Assert.Equal(CaseStatus.TransferredOut, accepted.State.Status);

        var opened = await ReadAsync(to, receiving.CaseId);
        var openedEvent = Assert.IsType<CaseOpened>(opened[0].Data);
        Assert.Equal(new TransferredFrom(from, caseId, ((OpenedCase)(await Handler().LoadStateAsync(from, caseId, Ct)).State).Number), openedEvent.TransferredFrom);
        Assert.Equal((to, Pothole, "Deep pothole by the bus stop", Citizen, Location, Channel.Web), (openedEvent.Agency, openedEvent.Service, openedEvent.Description, openedEvent.Citizen, openedEvent.Location, openedEvent.Channel));
        Assert.Equal(CasePriority.High, openedEvent.Priority);
        Assert.Equal(SlaTarget.BusinessHours(40), openedEvent.Sla);
        Assert.Equal(Later(10), openedEvent.At);
        Assert.Equal(["large"], openedEvent.Attributes["size"]);
        Assert.Equal(new Assignment(Highways), Assert.IsType<CaseAssigned>(opened[1].Data).To);
        Assert.Equal("Transfer", opened[0].Metadata.Extra!["command"]);

        // Each agency reads only its own: the receiving case is not in the old agency, nor the old case in the receiving one.
        Assert.Equal(CaseStatus.Assigned, (await Handler().LoadStateAsync(to, receiving.CaseId, Ct)).State.Status);
        Assert.IsType<NotOpenedCase>((await Handler().LoadStateAsync(from, receiving.CaseId, Ct)).State);
        Assert.IsType<NotOpenedCase>((await Handler().LoadStateAsync(to, caseId, Ct)).State);
    }

    [Fact]
    public async Task The_receiving_service_must_be_in_the_receiving_catalog_whether_it_is_the_cases_own_or_named()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = NewAgency();
        await DefineAsync(to, PotholeService with { Code = new ServiceCode("road-defect"), Agency = to }, expectedVersion: 0);

        var own = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, to, "Their road"), "MDOT", Later(10), Ct);
        var named = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, to, "Their road", new ServiceCode("bridge")), "MDOT", Later(10), Ct);
        var chosen = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, to, "Their road", new ServiceCode("road-defect")), "MDOT", Later(10), Ct);

        Assert.Equal(new TransferResult.UnknownService(to, Pothole, Named: false), own);
        Assert.Equal(new TransferResult.UnknownService(to, new ServiceCode("bridge"), Named: true), named);
        var receiving = Assert.IsType<TransferResult.Handled>(chosen).Receiving!;
        Assert.Equal(new ServiceCode("road-defect"), Assert.IsType<CaseOpened>((await ReadAsync(to, receiving.CaseId))[0].Data).Service);
    }

    [Fact]
    public async Task Attributes_the_receiving_service_does_not_define_stay_behind_and_one_it_requires_must_be_given()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = NewAgency();
        await DefineAsync(to, PotholeService with
        {
            Agency = to,
            Attributes = [new ServiceAttribute("lane", AttributeDatatype.String, true, "Which lane?", 1, [])],
        }, expectedVersion: 0);

        var refused = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, to, "Their road"), "MDOT", Later(10), Ct);
        var given = await Transfer().TransferAsync(
            Supervisor(from), new CaseTransferRequest(caseId, to, "Their road", Attributes: Attributes(("lane", "left"))), "MDOT", Later(11), Ct);

        var rejection = Assert.IsType<InvalidServiceAttributes>(Assert.IsType<CaseCommandResult.Rejected>(Assert.IsType<TransferResult.Handled>(refused).Result).Rejection);
        Assert.Equal(["lane"], rejection.Errors.Select(e => e.AttributeCode));
        var receiving = Assert.IsType<TransferResult.Handled>(given).Receiving!;
        var opened = Assert.IsType<CaseOpened>((await ReadAsync(to, receiving.CaseId))[0].Data);
        Assert.Equal(["lane"], opened.Attributes.Keys);
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_opens_no_second_receiving_case_and_answers_as_already_applied()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = await ReceivingAgencyAsync();
        var context = Supervisor(from) with { IdempotencyKey = "transfer-once" };
        var request = new CaseTransferRequest(caseId, to, "Their road");

        var first = Assert.IsType<TransferResult.Handled>(await Transfer().TransferAsync(context, request, "MDOT", Later(10), Ct));
        var retry = Assert.IsType<TransferResult.Handled>(await Transfer().TransferAsync(context, request, "MDOT", Later(12), Ct));

        Assert.IsType<CaseCommandResult.Accepted>(first.Result);
        var applied = Assert.IsType<CaseCommandResult.AlreadyApplied>(retry.Result);
        Assert.Equal(((CaseCommandResult.Accepted)first.Result).Version, applied.Version);
        Assert.Equal(first.Receiving, retry.Receiving);
        Assert.Equal(CaseTransfer.NewCaseId(from, caseId, "transfer-once"), first.Receiving!.CaseId);
        Assert.Equal([first.Receiving.CaseId.Value], await StreamsOfAsync(to));
    }

    [Fact]
    public async Task Concurrent_retries_with_the_same_key_open_one_receiving_case()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = await ReceivingAgencyAsync();
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };
        var context = Supervisor(from) with { IdempotencyKey = "double-click" };
        var request = new CaseTransferRequest(caseId, to, "Their road");

        var results = await Task.WhenAll(
            Transfer(options).TransferAsync(context, request, "MDOT", Later(10), Ct),
            Transfer(options).TransferAsync(context, request, "MDOT", Later(10), Ct));

        var handled = results.Select(r => Assert.IsType<TransferResult.Handled>(r)).ToArray();
        Assert.Single(handled, h => h.Result is CaseCommandResult.Accepted);
        Assert.Single(handled, h => h.Result is CaseCommandResult.AlreadyApplied);
        Assert.Equal(handled[0].Receiving, handled[1].Receiving);
        Assert.Single(await StreamsOfAsync(to));
    }

    [Fact]
    public async Task A_command_that_gets_to_the_case_first_makes_the_transfer_decide_again_and_a_cancelled_case_is_not_handed_over()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = await ReceivingAgencyAsync();
        var sneaky = Handler();
        var options = new CaseCommandHandlerOptions
        {
            BeforeAppend = async (_, attempt, ct) =>
            {
                if (attempt == 1)
                {
                    await sneaky.HandleAsync(new CancelCase(caseId, "Withdrawn by the citizen", Later(9)), Agent(from), ct);
                }
            },
        };

        var result = await Transfer(options).TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, to, "Their road"), "MDOT", Later(10), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(Assert.IsType<TransferResult.Handled>(result).Result);
        Assert.IsType<CommandNotAllowedInStatus>(rejected.Rejection);
        Assert.IsNotType<CaseTransferred>((await ReadAsync(from, caseId))[^1].Data);
        Assert.Empty(await StreamsOfAsync(to));
    }

    [Fact]
    public async Task With_if_match_a_case_that_moved_fails_the_precondition_and_neither_case_is_written()
    {
        var (from, caseId) = await CaseToTransferAsync();
        var to = await ReceivingAgencyAsync();
        var sneaky = Handler();
        var options = new CaseCommandHandlerOptions
        {
            BeforeAppend = async (_, _, ct) => await sneaky.HandleAsync(new ChangePriority(caseId, CasePriority.Urgent, null, Later(9)), Agent(from), ct),
        };

        var result = await Transfer(options).TransferAsync(
            Supervisor(from) with { ExpectedVersion = 2 }, new CaseTransferRequest(caseId, to, "Their road"), "MDOT", Later(10), Ct);

        Assert.Equal(new CaseCommandResult.PreconditionFailed(2, 3) { Attempts = 1 }, Assert.IsType<TransferResult.Handled>(result).Result);
        Assert.IsType<PriorityChanged>((await ReadAsync(from, caseId))[^1].Data);
        Assert.Empty(await StreamsOfAsync(to));
    }

    [Fact]
    public async Task A_transfer_the_case_refuses_looks_nothing_up_and_numbers_nothing()
    {
        var (from, caseId) = await CaseToTransferAsync();

        var result = await Transfer().TransferAsync(Supervisor(from), new CaseTransferRequest(caseId, from, "Oops"), "BOS", Later(10), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(Assert.IsType<TransferResult.Handled>(result).Result);
        Assert.Equal("ToAgency", Assert.IsType<InvalidCommandInput>(rejected.Rejection).Field);
        Assert.Equal([caseId.Value], await StreamsOfAsync(from));
    }

    [Fact]
    public async Task The_command_handler_refuses_a_transfer_that_would_open_no_receiving_case()
    {
        var (from, caseId) = await CaseToTransferAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => Handler().HandleAsync(new TransferCase(caseId, Massdot, "Their road", Later(10)), Agent(from), Ct));
    }

    /// <summary>An assigned pothole case (size large) of a new agency.</summary>
    private async Task<(AgencyId Agency, CaseId CaseId)> CaseToTransferAsync()
    {
        var agency = NewAgency();
        var caseId = await OpenCaseAsync(agency);
        await Handler().HandleAsync(new AssignCase(caseId, new Assignment(Streets), Later(1)), Agent(agency), Ct);
        return (agency, caseId);
    }

    /// <summary>A new agency offering the pothole service (40 business hours) and routing it to its highways team.</summary>
    private async Task<AgencyId> ReceivingAgencyAsync()
    {
        var agency = NewAgency();
        await DefineAsync(agency, PotholeService with { Agency = agency, Sla = SlaTarget.BusinessHours(40) }, expectedVersion: 0);
        await Reference.AppendAsync(
            agency, ReferenceData.RoutingStream, 0, [new RoutingRuleAdded(new RoutingRule("roads", 1, [Pothole], null, agency, Highways), T0)], Admin, null, Ct);
        return agency;
    }

    private Task DefineAsync(AgencyId agency, ServiceDefinition definition, long expectedVersion) =>
        Reference.AppendAsync(agency, ReferenceData.CatalogStream, expectedVersion, [new ServiceDefined(definition.Code, definition, T0)], Admin, null, Ct);

    /// <summary>The case streams of an agency (its reference-data streams left out).</summary>
    private async Task<List<string>> StreamsOfAsync(AgencyId agency)
    {
        await using var command = DataSource.CreateCommand("SELECT stream_id FROM eventcase.streams WHERE tenant_id = $1 AND NOT starts_with(stream_id, '$') ORDER BY stream_id");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = agency.Value });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}

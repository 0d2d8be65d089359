using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Transferring;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EventCase.Server.Cases;

/// <summary>
/// <c>POST /cases/{id}/transfer</c> after the command pipeline has checked the request: the receiving service and
/// attributes read from the body, the transfer carried out by <see cref="CaseTransfer"/> (the receiving agency's case
/// opened in the same append), and the answer naming that case. An agency without a catalog is <c>400</c> naming
/// <c>toAgency</c>, a service its catalog lacks <c>400</c> naming <c>service</c>; nothing is written for either.
/// </summary>
public static class CaseTransferRoute
{
    /// <summary>Carries out a transfer the pipeline built (see <see cref="CaseCommandPipeline"/>).</summary>
    public static async Task<Results<Ok<CommandResponse>, ProblemHttpResult>> ExecuteAsync(
        HttpContext http, TransferRequest body, CaseCommand command, CommandContext context, CommandInput input)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(input);
        var transfer = (TransferCase)command;
        var v = new Validation();
        var service = body.Service is null ? null : v.Value(body.Service, "service", ServiceCode.From);
        var attributes = CasesApi.ReadAttributes(v, body.Attributes);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var services = http.RequestServices;
        var database = services.GetRequiredService<EventCaseDatabase>();
        var transfers = new CaseTransfer(services.GetRequiredService<ReferenceData>(), database.CreateHandler());
        var outcome = await transfers.TransferAsync(
            context,
            new CaseTransferRequest(transfer.CaseId, transfer.ToAgency, transfer.Reason, service, body.Attributes is null ? null : attributes),
            CasesApi.PrefixFor(transfer.ToAgency, input.Settings),
            input.Now,
            input.Cancellation);
        switch (outcome)
        {
            case TransferResult.UnknownAgency unknown:
                v.Add("toAgency", $"'{unknown.Agency}' is not an agency this service knows: it has no service catalog.");
                return v.Problem();
            case TransferResult.UnknownService { Named: true } unknown:
                v.Add("service", $"'{unknown.Service}' is not a service of agency '{unknown.Agency}'.");
                return v.Problem();
            case TransferResult.UnknownService unknown:
                v.Add("service", $"the case's service '{unknown.Service}' is not a service of agency '{unknown.Agency}'; name one of its services.");
                return v.Problem();
        }

        var (result, receiving) = (TransferResult.Handled)outcome;
        ServerMetrics.CommandHandled(command.Action, CaseCommandPipeline.Outcome(result));
        var response = CaseCommandPipeline.ToResponse(http, result, transfer.CaseId, database.Store);
        return response.Result is Ok<CommandResponse> { Value: { } ok } && receiving is not null
            ? TypedResults.Ok(ok with { ReceivingCase = new OtherAgencyCase(transfer.ToAgency.Value, receiving.CaseId.Value, receiving.Number.Value) })
            : response;
    }
}

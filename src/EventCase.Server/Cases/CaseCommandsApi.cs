using System.ComponentModel.DataAnnotations;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;
using EventCase.Server.Auth;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;

namespace EventCase.Server.Cases;

/// <summary>One POST route per case command: <c>/cases/{id}/assign</c>, <c>/cases/{id}/escalate</c>, …</summary>
public static class CaseCommandsApi
{
    /// <summary>Maps the command routes on the <c>/cases</c> group.</summary>
    public static void Map(RouteGroupBuilder cases)
    {
        Map<AssignRequest>(cases, "assign", "AssignCase", Policies.Staff, "Assigns (or reassigns) the case to a team and optionally an agent.",
            static (r, i) => Done(i, new AssignCase(i.CaseId, new Assignment(
                i.Errors.Value(r.Team, "team", TeamId.From)!, i.Errors.Value(r.Agent, "agent", AgentId.From, required: false)), i.Now)));
        Map<ReasonRequest>(cases, "unassign", "UnassignCase", Policies.Staff, "Takes the case back to the unassigned pool (a reason is optional).",
            static (r, i) => Done(i, new UnassignCase(i.CaseId, Optional(i, r.Reason, "reason"), i.Now)));
        Map<EmptyRequest>(cases, "start-work", "StartWork", Policies.Staff, "Starts work on an assigned case.",
            static (_, i) => Done(i, new StartWork(i.CaseId, i.Now)));
        Map<RequestInformationRequest>(cases, "request-information", "RequestInformation", Policies.Staff, "Asks the citizen for information; the SLA clock pauses.",
            static (r, i) => Done(i, new RequestInformation(i.CaseId, i.Errors.Text(r.Question, "question"), r.Via ?? Channel.Email, i.Now)));
        Map<InformationReceivedRequest>(cases, "information-received", "RecordInformationReceived", Policies.Participate, "Records the citizen's answer; the SLA clock resumes.",
            static (r, i) => Done(i, new RecordInformationReceived(i.CaseId, i.Errors.Text(r.Response, "response"), r.Via ?? Channel.Web, i.Now)));
        Map<AddNoteRequest>(cases, "notes", "AddNote", Policies.Participate, "Adds a note (citizens: public notes only).",
            static (r, i) =>
            {
                var visibility = r.Visibility ?? (i.Caller.IsCitizen ? NoteVisibility.Public : NoteVisibility.Internal);
                return i.Caller.IsCitizen && visibility != NoteVisibility.Public
                    ? Forbidden()
                    : Done(i, new AddNote(i.CaseId, visibility, i.Errors.Text(r.Text, "text"), i.Now));
            });
        Map<RecordContactRequest>(cases, "contacts", "RecordContact", Policies.Staff, "Records a contact with the citizen.",
            static (r, i) => Done(i, new RecordContact(i.CaseId, i.Errors.Required(r.Direction, "direction"), i.Errors.Required(r.Channel, "channel"), i.Errors.Text(r.Summary, "summary"), i.Now)));
        // The tiers that exist are checked here, as input (400 naming toLevel); whether a tier raises or lowers this
        // case's is the case's rule (409).
        Map<EscalationRequest>(cases, "escalate", "EscalateCase", Policies.Staff, "Raises the escalation tier to toLevel (1–3), above the current one.",
            static (r, i) => Done(i, new EscalateCase(i.CaseId, i.Errors.Number(r.ToLevel, "toLevel", 1, EscalateCase.HighestLevel), i.Errors.Text(r.Reason, "reason", 2000), i.Now)));
        Map<EscalationRequest>(cases, "deescalate", "DeescalateCase", Policies.Supervise, "Lowers the escalation tier to toLevel (0–2, 0 = not escalated), below the current one (supervisors).",
            static (r, i) => Done(i, new DeescalateCase(i.CaseId, i.Errors.Number(r.ToLevel, "toLevel", 0, EscalateCase.HighestLevel - 1), i.Errors.Text(r.Reason, "reason", 2000), i.Now)));
        Map<ChangePriorityRequest>(cases, "priority", "ChangePriority", Policies.Staff, "Changes the priority.",
            static (r, i) => Done(i, new ChangePriority(i.CaseId, i.Errors.Required(r.To, "to"), Optional(i, r.Reason, "reason"), i.Now)));
        // A transfer opens the receiving agency's case in the same append: CaseTransfer carries it out, not the handler.
        Map<TransferRequest>(cases, "transfer", "TransferCase", Policies.Supervise,
            "Hands the case over to another agency (supervisors), which gets a case of its own for the request, opened in the same append; the answer names it (receivingCase).",
            static (r, i) => Done(i, new TransferCase(i.CaseId, i.Errors.Value(r.ToAgency, "toAgency", AgencyId.From)!, i.Errors.Text(r.Reason, "reason", 2000), i.Now)),
            CaseTransferRoute.ExecuteAsync);
        Map<ResolveRequest>(cases, "resolve", "ResolveCase", Policies.Staff, "Resolves the case.",
            static (r, i) => Done(i, new ResolveCase(i.CaseId, i.Errors.Text(r.ResolutionCode, "resolutionCode", 100), i.Errors.Text(r.PublicSummary, "publicSummary"), i.Now)));
        Map<EmptyRequest>(cases, "close", "CloseCase", Policies.Staff, "Closes a resolved case for good.",
            static (_, i) => Done(i, new CloseCase(i.CaseId, i.Now)));
        Map<RequiredReasonRequest>(cases, "reopen", "ReopenCase", Policies.Staff, "Reopens a resolved case within the reopen window.",
            static (r, i) => Done(i, new ReopenCase(i.CaseId, i.Errors.Text(r.Reason, "reason", 2000), Duration.FromDays(i.Settings.ReopenWindowDays), i.Now)));
        Map<RequiredReasonRequest>(cases, "cancel", "CancelCase", Policies.Staff, "Cancels the case.",
            static (r, i) => Done(i, new CancelCase(i.CaseId, i.Errors.Text(r.Reason, "reason", 2000), i.Now)));
        // A merge is recorded on both cases at once; the handler decides on the original as it is when it appends, so the
        // lookup here only names a case that is not the agency's (400 naming originalCaseId).
        Map<MarkDuplicateRequest>(cases, "mark-duplicate", "MarkDuplicate", Policies.Staff,
            "Marks the case as a duplicate of another case of the agency, which must carry on (open, resolved or closed); the original records the duplicate in the same append.",
            static async (r, i) =>
            {
                var original = await OtherCaseAsync(i, r.OriginalCaseId, "originalCaseId");
                return original is null ? null : new MarkDuplicate(i.CaseId, original.Id, original.Number, i.Now);
            });
        // A link is recorded on both cases at once, whichever side it is sent to; the handler looks up the ancestry.
        Map<LinkRequest>(cases, "link-parent", "LinkParentCase", Policies.Staff, "Makes the case a child of another case of the agency; the parent records the child in the same append.",
            static async (r, i) =>
            {
                var parent = await OtherCaseAsync(i, r.CaseId, "caseId");
                return parent is null ? null : new LinkParentCase(i.CaseId, parent.Id, [], i.Now);
            });
        Map<LinkRequest>(cases, "link-child", "LinkChildCase", Policies.Staff, "Makes another case of the agency a child of this one; the child records its parent in the same append.",
            static async (r, i) =>
            {
                var child = await OtherCaseAsync(i, r.CaseId, "caseId");
                return child is null ? null : new LinkChildCase(i.CaseId, child.Id, [], i.Now);
            });
        Map<FeedbackRequest>(cases, "feedback", "RecordFeedback", Policies.Participate, "Records the citizen's satisfaction (1–5) with the resolution.",
            static (r, i) => Done(i, new RecordFeedback(i.CaseId, i.Errors.Required(r.Satisfaction, "satisfaction"), Optional(i, r.Comment, "comment"), i.Now)));
    }

    private static void Map<TRequest>(
        RouteGroupBuilder cases,
        string path,
        string name,
        string policy,
        string summary,
        Func<TRequest, CommandInput, ValueTask<CaseCommand?>> build,
        Func<HttpContext, TRequest, CaseCommand, CommandContext, CommandInput, Task<Results<Ok<CommandResponse>, ProblemHttpResult>>>? execute = null)
        where TRequest : class =>
        cases.MapPost("/{id}/" + path, (string id, HttpContext http, CancellationToken cancellationToken) =>
                CaseCommandPipeline.ExecuteAsync(http, id, build, execute, cancellationToken))
            .WithName(name)
            .WithRouteParameter("id", CasesApi.CaseIdDescription)
            .WithSummary(summary + " Honours If-Match (412) and Idempotency-Key (a retry returns the first answer).")
            // No body at all reads as {}: a command none of whose input is required needs none, so its body is optional.
            .Accepts<TRequest>(isOptional: !typeof(TRequest).GetProperties().Any(p => p.IsDefined(typeof(RequiredAttribute), inherit: true)), "application/json")
            .RequireAuthorization(policy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static ValueTask<CaseCommand?> Done(CommandInput input, CaseCommand command) =>
        ValueTask.FromResult(input.Errors.IsValid ? command : null);

    private static ValueTask<CaseCommand?> Forbidden() => ValueTask.FromResult<CaseCommand?>(null);

    private static string? Optional(CommandInput input, string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? null : input.Errors.Text(value, field, 2000);

    private static async Task<OpenedCase?> OtherCaseAsync(CommandInput input, string? id, string field)
    {
        if (string.IsNullOrEmpty(id))
        {
            input.Errors.Add(field, "is required.");
            return null;
        }

        if (!CaseAccess.TryParseId(id, out var other))
        {
            input.Errors.Add(field, "is not a case id.");
            return null;
        }

        var loaded = await input.Database.CreateHandler().LoadStateAsync(input.Caller.Agency, other, input.Cancellation);
        if (loaded.State is not OpenedCase opened)
        {
            input.Errors.Add(field, "names no case of your agency.");
            return null;
        }

        return opened;
    }
}

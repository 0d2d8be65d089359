using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Handling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmbeddedAgency.Requests;

/// <summary>How a command's outcome reads over HTTP: applied → 200, unknown case → 404, bad input → 400 naming the field, a rule → 409.</summary>
internal static class CommandResults
{
    public static Results<Ok<CommandApplied>, ValidationProblem, ProblemHttpResult> From(string id, CaseCommandResult result) => result switch
    {
        CaseCommandResult.Accepted a => TypedResults.Ok(new CommandApplied(id, a.State.Status, a.Version)),
        CaseCommandResult.AlreadyApplied a => TypedResults.Ok(new CommandApplied(id, a.State.Status, a.CurrentVersion)),
        CaseCommandResult.Rejected { Rejection: CaseNotFound } => NotFound(id),
        CaseCommandResult.Rejected { Rejection: InvalidCommandInput input } => Invalid(Camel(input.Field), input.Problem),
        CaseCommandResult.Rejected r => TypedResults.Problem(r.Rejection.Message, statusCode: StatusCodes.Status409Conflict, title: "The case rules refuse this", type: "https://eventcase.dev/problems/" + r.Rejection.Code),
        CaseCommandResult.PreconditionFailed or CaseCommandResult.ConcurrencyConflict =>
            TypedResults.Problem("The case changed while the command was decided; try again.", statusCode: StatusCodes.Status409Conflict),
        _ => throw new InvalidOperationException($"Unexpected result {result.GetType().Name}."),
    };

    public static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"There is no request '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ValidationProblem Invalid(string field, string problem) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [problem] });

    private static string Camel(string field) => field.Length == 0 ? field : char.ToLowerInvariant(field[0]) + field[1..];
}

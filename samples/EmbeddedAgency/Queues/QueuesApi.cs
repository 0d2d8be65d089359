using EmbeddedAgency.Requests;
using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels.WorkQueues;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;

namespace EmbeddedAgency.Queues;

/// <summary>A team's work queue, from the work queue read model: open cases by priority, then SLA due.</summary>
public static class QueuesApi
{
    public static IEndpointRouteBuilder MapQueuesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/queues/{team}", GetAsync).WithTags("Queues");
        return endpoints;
    }

    private static async Task<Results<Ok<QueuePage>, ValidationProblem>> GetAsync(
        string team, string? cursor, WorkQueueQueries queues, IClock clock, CancellationToken cancellationToken)
    {
        try
        {
            _ = new TeamId(team);
        }
        catch (ArgumentException)
        {
            return CommandResults.Invalid("team", "must be a team id: lower-case letters, digits and dashes.");
        }

        try
        {
            var now = clock.GetCurrentInstant();
            var page = await queues.PageAsync(Springfield.Agency, WorkQueueScope.OfTeam(team), null, now, 50, cursor, cancellationToken);
            return TypedResults.Ok(new QueuePage(
                [.. page.Items.Select(i => new QueueItem(i.CaseId, i.CaseNumber, i.Service, i.Status, i.Priority, i.Assignee, RequestView.Iso(i.SlaDue), i.SlaBreached))],
                page.NextCursor));
        }
        catch (ArgumentException)
        {
            return CommandResults.Invalid("cursor", "is not a cursor this queue returned.");
        }
    }
}

/// <summary>One page of a queue; pass <see cref="NextCursor"/> as <c>?cursor=</c> for the next.</summary>
public sealed record QueuePage(IReadOnlyList<QueueItem> Items, string? NextCursor);

/// <summary>A case in a queue.</summary>
public sealed record QueueItem(string Id, string Number, string Service, CaseStatus Status, CasePriority Priority, string? Assignee, string? SlaDue, bool SlaBreached);

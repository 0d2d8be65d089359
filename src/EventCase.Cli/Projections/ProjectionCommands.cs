using System.CommandLine;
using System.Globalization;
using EventCase.Cli.Hosting;
using EventCase.EventStore.Projections;
using Spectre.Console;

namespace EventCase.Cli.Projections;

/// <summary><c>eventcase projections status|rebuild</c>.</summary>
internal static class ProjectionCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var projections = new Command("projections", "Inspect and rebuild the read models");

        var status = new Command("status", "Checkpoint, lag, owner and state of every projection");
        status.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var statuses = await session.Store.Projections.GetStatusAsync(ct);
            var table = new Table().AddColumns("projection", "state", "checkpoint", "head", "lag", "owner", "rebuild");
            foreach (var s in statuses)
            {
                table.AddRow(
                    Markup.Escape(s.Name),
                    s.State == ProjectionStates.Failed ? $"[red]failed[/] at {s.Failure?.Position}: {Markup.Escape(s.Failure?.EventType ?? "")}" : Markup.Escape(s.State),
                    s.Checkpoint.Position.ToString(CultureInfo.InvariantCulture),
                    s.HeadPosition.ToString(CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"{s.LagEvents} events, {s.Lag.TotalSeconds:F1} s"),
                    Markup.Escape(s.Owner ?? "–"),
                    s.Rebuild is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r.Events:N0} events at {r.EventsPerSecond:N0}/s") : "–");
            }

            console.Write(table);
            if (statuses.FirstOrDefault(s => s.WaitingOn is not null)?.WaitingOn is { } waiting)
            {
                console.MarkupLineInterpolated($"[yellow]readers are held back by[/] {waiting}");
            }

            foreach (var failed in statuses.Where(s => s.Failure is not null))
            {
                console.MarkupLineInterpolated($"[red]{failed.Name}[/]: {failed.Failure!.Error}");
            }

            return 0;
        });

        var name = new Argument<string>("name") { Description = "The projection to rebuild (see `projections status`)" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the rebuild to finish, showing progress" };
        var rebuild = new Command("rebuild", "Rebuild a projection into shadow tables and swap it in, without downtime") { name, wait };
        rebuild.SetAction(async (result, ct) =>
        {
            var projection = result.GetValue(name)!;
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var before = (await session.Store.Projections.GetStatusAsync(ct)).FirstOrDefault(s => s.Name == projection);
            await session.Store.Projections.RequestRebuildAsync(projection, ct);
            console.WriteLine($"rebuild of {projection} requested; the node that owns it (a running server) will do it.");
            if (!result.GetValue(wait))
            {
                return 0;
            }

            var startedBefore = before?.Rebuild?.StartedAt;

            // Progress descriptions are markup; the name is the user's argument.
            var label = Markup.Escape(projection);
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(label, maxValue: 1);
                    while (!ct.IsCancellationRequested)
                    {
                        var s = (await session.Store.Projections.GetStatusAsync(ct)).First(x => x.Name == projection);
                        if (s.Rebuild is { } r && r.StartedAt != startedBefore)
                        {
                            task.MaxValue = Math.Max(1, r.TargetPosition);
                            task.Value = Math.Min(task.MaxValue, r.Position);
                            task.Description = string.Create(CultureInfo.InvariantCulture, $"{label} {r.EventsPerSecond:N0} events/s");
                            if (s.State != ProjectionStates.Rebuilding && s.Rebuild.Events > 0)
                            {
                                task.Value = task.MaxValue;
                                break;
                            }
                        }

                        if (s.State == ProjectionStates.Failed)
                        {
                            throw new InvalidOperationException($"the rebuild failed at position {s.Failure?.Position}: {s.Failure?.Error}");
                        }

                        await Task.Delay(250, ct);
                    }
                });
            console.WriteLine("rebuilt");
            return 0;
        });

        projections.Subcommands.Add(status);
        projections.Subcommands.Add(rebuild);
        return projections;
    }
}

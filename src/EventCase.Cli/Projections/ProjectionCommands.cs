using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EventCase.Cli.Hosting;
using EventCase.EventStore.Projections;
using Spectre.Console;

namespace EventCase.Cli.Projections;

/// <summary><c>eventcase projections status|rebuild|rebuild-case|check</c>.</summary>
internal static class ProjectionCommands
{
    public static Command Create(IAnsiConsole console, IAnsiConsole progress)
    {
        var projections = new Command("projections", "Inspect and rebuild the read models");

        var status = new Command("status", "Checkpoint, lag, owner, state and pending rebuild requests of every projection");
        status.AddExamples("eventcase projections status", "eventcase projections status --connection \"Host=replica;Username=eventcase;Database=eventcase\"");
        status.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var statuses = await session.Store.Projections.GetStatusAsync(ct);
            var activity = await ProjectionActivity.ReadAsync(session, ct);
            var table = new Table().AddColumns("projection", "state", "checkpoint", "head", "lag", "owner", "rebuild");
            foreach (var s in statuses)
            {
                var seen = activity.GetValueOrDefault(s.Name);
                table.AddRow(
                    Markup.Escape(s.Name),
                    s.State == ProjectionStates.Failed ? FailedAt(s.Failure) : Markup.Escape(s.State),
                    s.Checkpoint.Position.ToString(CultureInfo.InvariantCulture),
                    s.HeadPosition.ToString(CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"{s.LagEvents} events, {s.Lag.TotalSeconds:F1} s"),
                    Markup.Escape(s.Owner is null ? "–" : seen?.OwnerIsGone == true ? $"{s.Owner} (gone, last seen {Ago(seen.SinceHeartbeat)})" : s.Owner),
                    Markup.Escape(RebuildColumn(s, seen)));
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

            var unowned = statuses.Where(s => activity.GetValueOrDefault(s.Name) is { RebuildRequestedFor: not null, OwnerIsGone: true }).Select(s => s.Name).ToList();
            if (unowned.Count > 0)
            {
                console.MarkupLineInterpolated($"[yellow]rebuild requested but no running service owns[/] {string.Join(", ", unowned)}: it starts when the service runs (eventcase serve)");
            }

            return ExitCodes.Success;
        });

        var name = new Argument<string>("name") { Description = "The projection to rebuild (see `projections status`)" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the rebuild to finish, showing progress" };
        var timeout = new Option<int?>("--timeout") { Description = "With --wait: give up waiting after this many seconds (exit code 1; the rebuild stays requested)" };
        timeout.AcceptWholeNumbersOnly();
        timeout.AddValidator(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--timeout must be 1 second or more.");
            }
        });
        var rebuild = new Command("rebuild", "Rebuild a projection into shadow tables and swap it in, without downtime; a running service does the work") { name, wait, timeout };
        rebuild.AddValidator(r =>
        {
            if (r.GetValue(timeout) is not null && !r.GetValue(wait))
            {
                r.AddError("--timeout needs --wait.");
            }
        });
        rebuild.AddExamples("eventcase projections rebuild sla_clocks", "eventcase projections rebuild case_summary --wait --timeout 600");
        rebuild.SetAction(async (result, ct) =>
        {
            var projection = result.GetValue(name)!;
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var statuses = await session.Store.Projections.GetStatusAsync(ct);
            var before = statuses.FirstOrDefault(s => s.Name == projection)
                ?? throw CliException.BadArgument($"no projection named '{projection}'; known: {string.Join(", ", statuses.Select(s => s.Name))}");
            await session.Store.Projections.RequestRebuildAsync(projection, ct);

            // The request is only a row: without a service running, nothing rebuilds, and --wait would wait forever.
            await SayWhoRebuildsAsync(console, session, projection, ct);
            if (!result.GetValue(wait))
            {
                return ExitCodes.Success;
            }

            var limit = result.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            var waited = Stopwatch.StartNew();
            var startedBefore = before.Rebuild?.StartedAt;

            // Progress descriptions are markup; the name is the user's argument.
            var label = Markup.Escape(projection);
            await progress.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(label, maxValue: 1);
                    while (true)
                    {
                        ct.ThrowIfCancellationRequested();
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
                            throw new CliException(s.Failure?.Position is { } position
                                ? $"the rebuild of {projection} failed at position {position}: {s.Failure?.Error}"
                                : $"the rebuild of {projection} failed: {s.Failure?.Error}");
                        }

                        if (waited.Elapsed >= limit)
                        {
                            var owner = (await ProjectionActivity.ReadAsync(session, ct)).GetValueOrDefault(projection);
                            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                                $"gave up waiting for the rebuild of {projection} after {limit.Value.TotalSeconds:N0} s{(owner is { OwnerIsGone: false } ? "" : " (no running service owns it)")}; it stays requested"));
                        }

                        await Task.Delay(250, ct);
                    }
                });
            console.WriteLine("rebuilt");
            return ExitCodes.Success;
        });

        projections.Subcommands.Add(status);
        projections.Subcommands.Add(rebuild);
        projections.Subcommands.Add(CreateRebuildCase(console));
        projections.Subcommands.Add(CheckCommand.Create(console, progress));
        return projections;
    }

    /// <summary>
    /// <c>projections rebuild-case CASE --agency A [--projection NAME]... [--dry-run]</c>: one case's rows folded again
    /// from its events, here and now (no service needed), when only they are wrong.
    /// </summary>
    private static Command CreateRebuildCase(IAnsiConsole console)
    {
        var caseArgument = new Argument<string>("case") { Description = "Case id or case number (e.g. BOS-2026-000123)" };
        caseArgument.AcceptOnlyCaseIds();
        var agency = new Option<string>("--agency") { Description = "The agency (tenant) the case belongs to", Required = true };
        agency.AcceptOnlyTenantIds();
        var only = new Option<string[]>("--projection")
        {
            Description = "Rebuild the case's rows in this projection only (repeatable; default: every projection that keeps one row per case)",
            AllowMultipleArgumentsPerToken = false,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only compare the stored rows with a fold of the case's events; change nothing" };
        var command = new Command(
            "rebuild-case",
            "Rebuild one case's rows from its events, when only they are wrong: at once, in one transaction, beside a running service; a whole rebuild is not needed")
        {
            caseArgument, agency, only, dryRun,
        };
        command.AddExamples(
            "eventcase projections rebuild-case BOS-2026-000123 --agency boston --dry-run",
            "eventcase projections rebuild-case BOS-2026-000123 --agency boston --projection work_queue");
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var caseText = result.GetValue(caseArgument)!;
            var agencyId = result.GetValue(agency)!;
            var (caseId, stream) = await CaseArgument.ResolveAsync(session, agencyId, caseText, ct);
            var named = result.GetValue(only) is { Length: > 0 } names ? names : null;

            // The read models count business time on the agencies' calendars, as the service does.
            await session.LoadCalendarsAsync(ct);
            var dry = result.GetValue(dryRun);
            IReadOnlyList<StreamRebuildResult> results;
            try
            {
                results = await session.Store.Projections.RebuildStreamAsync(stream, new StreamRebuildOptions { Projections = named, DryRun = dry }, ct);
            }
            catch (ArgumentException e)
            {
                // Without the library's parameter name ('options', 'name'): the user gave --projection.
                throw CliException.BadArgument(CommandFailure.OneLine(CommandFailure.WithoutParameterName(e)), e);
            }
            catch (StreamRebuildRefusedException e)
            {
                throw new CliException(CommandFailure.OneLine(e.Message) + " (see `eventcase projections status`)", ExitCodes.Failure, e);
            }
            catch (ProjectionFailedException e)
            {
                throw new CliException(
                    CommandFailure.OneLine(
                        (e.Event is { } failedOn
                            ? $"projection {e.ProjectionName} fails on the case's event {failedOn.StreamVersion.ToString(CultureInfo.InvariantCulture)} ({failedOn.EventType}): "
                            : $"projection {e.ProjectionName} cannot write the case's rows: ") + $"{e.InnerException?.Message ?? e.Message}; nothing was changed"),
                    ExitCodes.Failure,
                    e);
            }

            if (!(await session.Store.ReadStreamVersionsAsync([stream], ct)).ContainsKey(stream))
            {
                // Rows without events (a case id mistyped, or rows left behind) are removed all the same.
                var removed = results.Where(r => r.RowsBefore + r.EntriesBefore > 0).Select(r => r.Projection).ToList();
                console.MarkupLineInterpolated($"[yellow]no events recorded for case {caseId.Value} in agency {agencyId}[/]: {(removed.Count == 0 ? "no rows either, nothing to rebuild" : $"{(dry ? "it has rows, which a rebuild would remove, in" : "its rows were removed from")} {string.Join(", ", removed)}")}.");
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("projection", "events folded", "up to", "row", "entries", dry ? "compared" : "result");
            foreach (var r in results)
            {
                table.AddRow(
                    Markup.Escape(r.Projection),
                    r.EventsApplied.ToString(CultureInfo.InvariantCulture),
                    r.UpTo is { } upTo ? $"checkpoint {upTo.Position.ToString(CultureInfo.InvariantCulture)}" : "whole case",
                    $"{r.RowsBefore} → {r.RowsAfter}",
                    $"{r.EntriesBefore} → {r.EntriesAfter}",
                    (r.Changed, dry) switch
                    {
                        (false, _) => "agreed with the log",
                        (true, false) => "[yellow]differed: rebuilt[/]",
                        (true, true) => "[yellow]differs[/] (dry run: left as it was)",
                    });
            }

            console.Write(table);
            var wrong = results.Count(r => r.Changed);
            console.WriteLine(wrong == 0
                ? $"case {caseId.Value}: every row agreed with its events{(dry ? "" : "; rewritten as they were")}."
                : dry
                    ? $"case {caseId.Value}: {wrong} projection(s) disagree with its events; run without --dry-run to rebuild them."
                    : $"case {caseId.Value}: {wrong} projection(s) rebuilt from its events.");
            var skipped = session.Store.Projections.All.Where(p => named is null && !session.Store.Projections.KeepsRowsPerStream(p.Name)).Select(p => p.Name).ToList();
            if (skipped.Count > 0)
            {
                console.WriteLine($"not rebuilt: {string.Join(", ", skipped)} (rows that gather many cases; `eventcase projections rebuild NAME` rebuilds them whole).");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Says that the rebuild of <paramref name="projection"/> was requested and who will do it: the running service that
    /// owns it, or, when none does, that it waits for one (saying a service will do it would then be wrong).
    /// </summary>
    private static async Task SayWhoRebuildsAsync(IAnsiConsole console, CliSession session, string projection, CancellationToken cancellationToken)
    {
        var seen = (await ProjectionActivity.ReadAsync(session, cancellationToken)).GetValueOrDefault(projection);
        if (seen is { OwnerIsGone: false })
        {
            console.WriteLine($"rebuild of {projection} requested; the node that owns it (a running service) will do it.");
            return;
        }

        var lastSeen = seen?.SinceHeartbeat is { } since ? $"its last owner was last seen {Ago(since)}" : "no service has ever owned it";
        console.MarkupLineInterpolated($"rebuild of {projection} requested, but [yellow]no running service owns {projection}[/] ({lastSeen}): the rebuild starts when the service runs (eventcase serve).");
    }

    /// <summary>
    /// The status table's rebuild cell: a rebuild in progress, one requested, or the figures of the last one, which
    /// say "last" (a projection keeps them once it runs again, and bare they read as a rebuild going on).
    /// </summary>
    internal static string RebuildColumn(ProjectionStatus status, ProjectionActivity? seen)
    {
        var progress = status.Rebuild is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r.Events:N0} events at {r.EventsPerSecond:N0}/s") : null;
        return seen?.RebuildRequestedFor is { } pending ? $"requested {Ago(pending)}{(progress is null ? "" : $" (last: {progress})")}"
            : progress is null ? "–"
            : status.State == ProjectionStates.Rebuilding ? progress
            : "last: " + progress;
    }

    private static string Ago(TimeSpan? elapsed) => elapsed switch
    {
        null => "never",
        { TotalSeconds: < 120 } e => string.Create(CultureInfo.InvariantCulture, $"{e.TotalSeconds:F0} s ago"),
        { TotalMinutes: < 120 } e => string.Create(CultureInfo.InvariantCulture, $"{e.TotalMinutes:F0} min ago"),
        { TotalHours: < 48 } e => string.Create(CultureInfo.InvariantCulture, $"{e.TotalHours:F0} h ago"),
        var e => string.Create(CultureInfo.InvariantCulture, $"{e.Value.TotalDays:F0} days ago"),
    };

    /// <summary>Where a projection failed: the event, or (a rebuild writing its rows) no event at all.</summary>
    private static string FailedAt(ProjectionFailure? failure) =>
        failure?.Position is { } position
            ? $"[red]failed[/] at {position}: {Markup.Escape(failure.EventType ?? "")}"
            : "[red]failed[/] writing its rows";
}

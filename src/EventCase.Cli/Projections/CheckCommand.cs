using System.CommandLine;
using System.Globalization;
using EventCase.Cases.Handling;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using Npgsql;
using Spectre.Console;

namespace EventCase.Cli.Projections;

/// <summary>
/// <c>projections check --agency A [--sample N | --all] [--repair]</c>: whether the read models agree with the events,
/// case by case, for a sample of an agency's cases or all of them; with <c>--repair</c>, the cases that disagree are
/// rebuilt. Each case is a dry-run stream rebuild (decision 0022): one transaction, beside a running service.
/// </summary>
internal static class CheckCommand
{
    /// <summary>The cases checked when neither --sample nor --all is given.</summary>
    public const int DefaultSample = 1000;

    /// <summary>The disagreeing cases listed by id.</summary>
    private const int Listed = 20;

    public static Command Create(IAnsiConsole console, IAnsiConsole progress)
    {
        var agency = new Option<string>("--agency") { Description = "The agency (tenant) whose cases to check", Required = true };
        agency.AcceptOnlyTenantIds();
        var sample = new Option<int?>("--sample") { Description = $"Check this many of the agency's cases, picked at random (default {DefaultSample:N0}; 1–1,000,000)" };
        sample.AcceptWholeNumbersOnly();
        var all = new Option<bool>("--all") { Description = "Check every case of the agency" };
        var repair = new Option<bool>("--repair") { Description = "Rebuild the cases whose rows disagree with their events" };
        var command = new Command(
            "check",
            "Check that the read models agree with the events, case by case (a sample of an agency's cases, or all), without changing anything unless --repair")
        {
            agency, sample, all, repair,
        };
        command.AddValidator(result =>
        {
            if (result.GetValue(sample) is { } n && n is < 1 or > 1_000_000)
            {
                result.AddError("--sample must be 1 to 1,000,000.");
            }

            if (result.GetValue(sample) is not null && result.GetValue(all))
            {
                result.AddError("--sample and --all cannot be combined.");
            }
        });
        command.AddExamples("eventcase projections check --agency boston --sample 200", "eventcase projections check --agency boston --all --repair");
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var agencyId = result.GetValue(agency)!;
            var cases = await CasesAsync(session, agencyId, result.GetValue(all) ? null : result.GetValue(sample) ?? DefaultSample, ct);
            if (cases.Count == 0)
            {
                // As audit verify --tenant: an agency with no stream at all is a typo, not a clean check.
                if (!await session.TenantHasStreamsAsync(agencyId, ct))
                {
                    throw new CliException($"nothing to check: agency '{agencyId}' has no streams (is --agency right?)");
                }

                console.MarkupLineInterpolated($"[yellow]agency {agencyId} has no cases[/]: nothing to check.");
                return ExitCodes.Success;
            }

            // The read models count business time on the agencies' calendars, as the service does.
            await session.LoadCalendarsAsync(ct);
            var projections = session.Store.Projections;
            var disagreeing = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var failures = new List<string>();
            var checkedCases = 0;
            await progress.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("checking", maxValue: cases.Count);
                    foreach (var caseId in cases)
                    {
                        try
                        {
                            foreach (var r in await projections.RebuildStreamAsync(new StreamName(agencyId, caseId), new StreamRebuildOptions { DryRun = true }, ct))
                            {
                                if (r.Changed)
                                {
                                    (disagreeing.TryGetValue(r.Projection, out var list) ? list : disagreeing[r.Projection] = []).Add(caseId);
                                }
                            }
                        }
                        catch (ProjectionFailedException e)
                        {
                            var where = e.Event is { } failedOn ? $"fails on event {failedOn.StreamVersion} ({failedOn.EventType})" : "cannot write its rows";
                            failures.Add($"{caseId}: {e.ProjectionName} {where}: {CommandFailure.OneLine(e.InnerException?.Message ?? e.Message)}");
                        }
                        catch (StreamRebuildRefusedException e)
                        {
                            throw new CliException(CommandFailure.OneLine(e.Message) + " (see `eventcase projections status`)", ExitCodes.Failure, e);
                        }

                        checkedCases++;
                        task.Increment(1);
                    }
                });

            var wrongCases = disagreeing.Values.SelectMany(ids => ids).Distinct(StringComparer.Ordinal).ToList();
            var repaired = new Dictionary<string, int>(StringComparer.Ordinal);
            if (result.GetValue(repair))
            {
                foreach (var caseId in wrongCases)
                {
                    foreach (var r in await projections.RebuildStreamAsync(new StreamName(agencyId, caseId), cancellationToken: ct))
                    {
                        if (r.Changed)
                        {
                            repaired[r.Projection] = repaired.GetValueOrDefault(r.Projection) + 1;
                        }
                    }
                }
            }

            // Without --repair nothing was rebuilt: no "rebuilt" column, rather than one with neither a heading nor values.
            var table = new Table().AddColumns("read model", "cases checked", "disagreed");
            if (result.GetValue(repair))
            {
                table.AddColumn("rebuilt");
            }

            foreach (var projection in projections.All.Where(p => projections.KeepsRowsPerStream(p.Name)))
            {
                var count = disagreeing.GetValueOrDefault(projection.Name)?.Count ?? 0;
                var cells = new List<string>
                {
                    Markup.Escape(projection.Name),
                    checkedCases.ToString("N0", CultureInfo.InvariantCulture),
                    count == 0 ? "0" : $"[yellow]{count.ToString("N0", CultureInfo.InvariantCulture)}[/]",
                };
                if (result.GetValue(repair))
                {
                    cells.Add(repaired.GetValueOrDefault(projection.Name).ToString("N0", CultureInfo.InvariantCulture));
                }

                table.AddRow(cells.ToArray());
            }

            console.Write(table);
            if (wrongCases.Count > 0)
            {
                console.WriteLine($"disagreeing: {string.Join(", ", wrongCases.Take(Listed))}{(wrongCases.Count > Listed ? $" and {wrongCases.Count - Listed:N0} more" : "")}");
            }

            foreach (var failure in failures.Take(Listed))
            {
                console.MarkupLineInterpolated($"[red]cannot fold[/] {failure}");
            }

            var scope = cases.Count == checkedCases && result.GetValue(all) ? "every case" : $"{checkedCases:N0} case(s) picked at random";
            if (failures.Count > 0)
            {
                throw new CliException($"{failures.Count:N0} case(s) of {agencyId} cannot be folded by a read model (listed above); nothing was changed for them");
            }

            if (wrongCases.Count == 0)
            {
                console.WriteLine($"{agencyId}: {scope}: every read model agrees with the events.");
                return ExitCodes.Success;
            }

            if (result.GetValue(repair))
            {
                console.WriteLine($"{agencyId}: {scope}: {wrongCases.Count:N0} case(s) disagreed with their events and were rebuilt.");
                return ExitCodes.Success;
            }

            throw new CliException($"{wrongCases.Count:N0} of {checkedCases:N0} case(s) of {agencyId} disagree with their events (listed above); `--repair` rebuilds them");
        });
        return command;
    }

    /// <summary>The agency's case ids: <paramref name="sample"/> of them at random, or all (null) in key order.</summary>
    private static async Task<List<string>> CasesAsync(CliSession session, string agency, int? sample, CancellationToken cancellationToken)
    {
        await using var command = session.DataSource.CreateCommand(
            $"SELECT stream_id FROM {session.Store.Options.Schema}.streams WHERE tenant_id = $1 AND stream_type = $2 ORDER BY {(sample is null ? "stream_id" : "random() LIMIT $3")}");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaseStreams.StreamType });
        if (sample is { } n)
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = n });
        }

        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}

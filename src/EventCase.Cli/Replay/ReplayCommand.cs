using System.CommandLine;
using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.Replaying;
using EventCase.Cli.Hosting;
using NodaTime;
using NodaTime.Text;
using Spectre.Console;

namespace EventCase.Cli.Replay;

/// <summary><c>eventcase replay &lt;case&gt; [--version N | --at INSTANT]</c>: time travel for auditors.</summary>
internal static class ReplayCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var caseArgument = new Argument<string>("case") { Description = "Case id or case number (e.g. BOS-2026-000123)" };
        var agency = new Option<string>("--agency") { Description = "The agency (tenant) the case belongs to", Required = true };
        var version = new Option<long?>("--version") { Description = "Show the case as it was after this version" };
        var at = new Option<string?>("--at") { Description = "Show the case as it was at this instant (ISO-8601, e.g. 2026-03-03T14:00:00Z)" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of tables" };
        var command = new Command("replay", "Step through a case's history, with what each event changed, up to a version or an instant")
        {
            caseArgument, agency, version, at, json,
        };
        command.AddValidator(result =>
        {
            if (result.GetValue(version) is not null && result.GetValue(at) is not null)
            {
                result.AddError("--version and --at cannot be combined.");
            }

            if (result.GetValue(version) is < 0)
            {
                result.AddError("--version must be 0 or more.");
            }

            if (result.GetValue(at) is { } text && !InstantPattern.ExtendedIso.Parse(text).Success)
            {
                result.AddError($"--at '{text}' is not an ISO-8601 instant such as 2026-03-03T14:00:00Z.");
            }
        });
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var agencyId = new AgencyId(result.GetValue(agency)!);
            var caseText = result.GetValue(caseArgument)!;
            CaseId caseId;
            if (CaseNumber.TryParse(caseText, out var number))
            {
                var found = await new CaseNumberLookup(session.Store).FindAsync(agencyId, number, ct)
                    ?? throw new CliException($"no case {caseText} in agency {agencyId.Value}");
                caseId = found.CaseId;
            }
            else
            {
                caseId = new CaseId(caseText);
            }

            var loaded = await new CaseCommandHandler(session.Store).LoadAsync(agencyId, caseId, ct);
            if (loaded.Events.Count == 0)
            {
                throw new CliException($"no case {caseText} in agency {agencyId.Value}");
            }

            var point = result.GetValue(version) is { } v ? CaseReplay.AtVersion(loaded.Events, v)
                : result.GetValue(at) is { } a ? CaseReplay.AtInstant(loaded.Events, InstantPattern.ExtendedIso.Parse(a).Value)
                : CaseReplay.AtVersion(loaded.Events, long.MaxValue);
            if (result.GetValue(json))
            {
                console.WriteLine(JsonSerializer.Serialize(new
                {
                    caseId = caseId.Value,
                    version = point.Version,
                    of = loaded.Version,
                    state = CaseReplay.Describe(point.State),
                    steps = point.Steps.Select(s => new
                    {
                        s.Version,
                        type = s.Event.EventType,
                        at = InstantPattern.ExtendedIso.Format(s.Event.RecordedAt),
                        actor = s.Event.Metadata.ActorId,
                        role = s.Event.Metadata.ActorRole,
                        reason = s.Event.Metadata.Reason,
                        changes = s.Changes,
                    }),
                }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return 0;
            }

            console.MarkupLineInterpolated($"[bold]{caseText}[/] at version {point.Version} of {loaded.Version}");
            var steps = new Table().AddColumns("v", "recorded", "event", "who", "why", "changed");
            foreach (var step in point.Steps)
            {
                steps.AddRow(
                    step.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    InstantPattern.ExtendedIso.Format(step.Event.RecordedAt),
                    Markup.Escape(step.Event.EventType),
                    Markup.Escape($"{step.Event.Metadata.ActorId} ({step.Event.Metadata.ActorRole})"),
                    Markup.Escape(step.Event.Metadata.Reason ?? ""),
                    Markup.Escape(string.Join("; ", step.Changes.Select(c => $"{c.Field}: {c.Before ?? "–"} → {c.After ?? "–"}"))));
            }

            console.Write(steps);
            var state = new Table().AddColumns("field", "value");
            foreach (var (field, value) in CaseReplay.Describe(point.State))
            {
                state.AddRow(Markup.Escape(field), Markup.Escape(value ?? "–"));
            }

            console.Write(state);
            return 0;
        });
        return command;
    }
}

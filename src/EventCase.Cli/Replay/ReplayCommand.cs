using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.Replaying;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
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
        caseArgument.AcceptOnlyCaseIds();
        var agency = new Option<string>("--agency") { Description = "The agency (tenant) the case belongs to", Required = true };
        agency.AcceptOnlyTenantIds();
        var version = new Option<long?>("--version") { Description = "Show the case as it was after this version" };
        version.AcceptWholeNumbersOnly();
        var at = new Option<string?>("--at") { Description = "Show the case as it was at this instant of its own timeline, when each event happened rather than when it was recorded (ISO-8601, e.g. 2026-03-03T14:00:00Z or 2026-03-03T09:00:00-05:00)" };
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

            if (result.GetValue(at) is { } text && !InstantText.TryParse(text, out _))
            {
                result.AddError($"--at '{text}' is not {InstantText.Expected}.");
            }
        });
        command.AddExamples(
            "eventcase replay BOS-2026-000123 --agency boston",
            "eventcase replay BOS-2026-000123 --agency boston --at 2026-03-03T09:00:00-05:00",
            "eventcase replay BOS-2026-000123 --agency boston --version 4 --json");
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var agencyId = new AgencyId(result.GetValue(agency)!);
            var caseText = result.GetValue(caseArgument)!;
            var (caseId, stream) = await CaseArgument.ResolveAsync(session, agencyId.Value, caseText, ct);

            // A replay is what an auditor trusts: the case is read with its hash chain verified over the very rows
            // shown (one statement, decision 0026), so that altered data is never shown, nor fails to fold, without
            // being called altered.
            var (history, alteration) = await ReadHistoryAsync(session, stream, ct);
            if (history.Count == 0)
            {
                // Every event deleted, the stream row left, is an alteration; a case deleted whole is not found.
                ThrowIfAltered(stream, alteration);
                throw new CliException($"no case {caseText} in agency {agencyId.Value}");
            }
            ReplayPoint point;
            try
            {
                point = result.GetValue(version) is { } v ? CaseReplay.AtVersion(history, v)
                    : result.GetValue(at) is { } a ? CaseReplay.AtInstant(history, InstantText.Parse(a))
                    : CaseReplay.AtVersion(history, long.MaxValue);
            }
            catch (Exception e) when (alteration is not null && e is not OperationCanceledException)
            {
                // Data that deserialized but makes no sense to the fold (a field emptied by hand). Without evidence of
                // an alteration the same exception is a bug, and is left to be reported as one.
                throw new CliException(
                    $"the history of {stream.Tenant}/{stream.Id} cannot be replayed ({CommandFailure.OneLine(e.Message).TrimEnd('.')}): it was altered after it was written: {alteration} (see `eventcase audit verify --tenant {stream.Tenant} --stream {stream.Id}`)",
                    ExitCodes.TamperingFound,
                    e);
            }

            if (result.GetValue(json))
            {
                // Written as it is: the console wraps what it writes at its width, and a terminal narrower than a line
                // of the JSON (a long reason) had line breaks put inside its strings, which no JSON reader takes.
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
                {
                    caseId = caseId.Value,
                    version = point.Version,
                    of = history[^1].StreamVersion,
                    state = CaseReplay.Describe(point.State),
                    steps = point.Steps.Select(s => new
                    {
                        s.Version,
                        type = s.Event.EventType,
                        // When it happened, the instant --at compares with (decision 0003), and when it was recorded:
                        // for imported history they are years apart.
                        at = InstantPattern.ExtendedIso.Format(((CaseEvent)s.Event.Data).At),
                        recordedAt = InstantPattern.ExtendedIso.Format(s.Event.RecordedAt),
                        actor = s.Event.Metadata.ActorId,
                        role = s.Event.Metadata.ActorRole,
                        reason = s.Reason,
                        text = TextOf((CaseEvent)s.Event.Data),
                        changes = s.Changes,
                    }),
                }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                ThrowIfAltered(stream, alteration);
                return ExitCodes.Success;
            }

            console.MarkupLineInterpolated($"[bold]{caseText}[/] at version {point.Version} of {history[^1].StreamVersion}");
            var steps = new Table().AddColumns("v", "at", "recorded", "event", "who", "why", "text", "changed");
            foreach (var step in point.Steps)
            {
                steps.AddRow(
                    step.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    InstantPattern.ExtendedIso.Format(((CaseEvent)step.Event.Data).At),
                    InstantPattern.ExtendedIso.Format(step.Event.RecordedAt),
                    Markup.Escape(step.Event.EventType),
                    Markup.Escape($"{step.Event.Metadata.ActorId} ({step.Event.Metadata.ActorRole})"),
                    Markup.Escape(step.Reason ?? ""),
                    Markup.Escape(Shortened(TextOf((CaseEvent)step.Event.Data))),
                    Markup.Escape(string.Join("; ", step.Changes.Select(c => $"{c.Field}: {c.Before ?? "–"} → {c.After ?? "–"}"))));
            }

            console.Write(steps);
            var state = new Table().AddColumns("field", "value");
            foreach (var (field, value) in CaseReplay.Describe(point.State))
            {
                state.AddRow(Markup.Escape(field), Markup.Escape(value ?? "–"));
            }

            console.Write(state);
            ThrowIfAltered(stream, alteration);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The most of a step's text the table shows; --json gives it whole.</summary>
    private const int TableTextLength = 200;

    /// <summary>
    /// What a step said that is no field of the case: a note's text, a contact's summary. The fold keeps neither, so
    /// the step showed no change at all, and an auditor replaying a case saw that a note was added but not what it said.
    /// </summary>
    private static string? TextOf(CaseEvent e) => e switch
    {
        NoteAdded note => $"{note.Visibility.ToString().ToLowerInvariant()} note: {note.Text}",
        CitizenContacted contact => $"{contact.Direction.ToString().ToLowerInvariant()} {contact.Channel.ToString().ToLowerInvariant()}: {contact.Summary}",
        _ => null,
    };

    /// <summary>
    /// <paramref name="text"/> on one line (a table row is a line in a file or a pipe) and cut at
    /// <see cref="TableTextLength"/> characters with an ellipsis.
    /// </summary>
    private static string Shortened(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var line = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (line.Length <= TableTextLength)
        {
            return line;
        }

        // Never half a surrogate pair (an emoji in a note).
        var cut = char.IsHighSurrogate(line[TableTextLength - 2]) ? TableTextLength - 2 : TableTextLength - 1;
        return string.Concat(line.AsSpan(0, cut).TrimEnd(), "…");
    }

    /// <summary>
    /// The history is shown as stored, altered or not (that is what an auditor looks at), and then called altered on
    /// standard error with <c>audit verify</c>'s exit code, so that neither a reader nor a script takes it as intact.
    /// </summary>
    private static void ThrowIfAltered(StreamName stream, AuditFinding? alteration)
    {
        if (alteration is not null)
        {
            throw new CliException(
                $"{stream.Tenant}/{stream.Id} was altered after it was written, and the history above shows it as altered: {alteration} (see `eventcase audit verify --tenant {stream.Tenant} --stream {stream.Id}`)",
                ExitCodes.TamperingFound);
        }
    }

    /// <summary>
    /// The case's events, oldest first, and the first break in its hash chain (null when it verifies), from one read
    /// (<see cref="AuditVerifier.ReadStreamAsync"/>). An event that no longer deserializes is reported by version, stream
    /// and log position, with what the hash chain says about it: altered after it was written (exit code 3, as
    /// <c>audit verify</c> would say), or stored like this (exit code 1: an event this version of eventcase cannot
    /// read, a bug or a missing upcaster, not tampering).
    /// </summary>
    private static async Task<(IReadOnlyList<RecordedEvent> History, AuditFinding? Alteration)> ReadHistoryAsync(
        CliSession session, StreamName stream, CancellationToken cancellationToken)
    {
        try
        {
            var read = await new AuditVerifier(session.Store).ReadStreamAsync(stream, cancellationToken);
            return (read.Events, read.Finding);
        }
        catch (AlteredEventUnreadableException e)
        {
            // Its message names the event by version, type and log position, and the chain's first break.
            throw new CliException(
                $"{CommandFailure.OneLine(e.Message)} (see `eventcase audit verify --tenant {stream.Tenant} --stream {stream.Id}`)",
                ExitCodes.TamperingFound,
                e);
        }
        // InvalidCastException: a recorded-at outside the years 1–9999, which only SQL can store and .NET cannot hold.
        catch (Exception e) when (e is JsonException or UnknownEventTypeException or NotSupportedException or InvalidCastException)
        {
            // The chain is intact (else the exception above): stored like this.
            throw await UnreadableEventAsync(session, stream, e, cancellationToken);
        }
    }

    /// <summary>
    /// An event stored as it is and unreadable by this build: the stream is read again as the store reads it, up to the
    /// event that fails, to name it by version, type and log position. Only on this failure, never on a replay that reads.
    /// </summary>
    private static async Task<CliException> UnreadableEventAsync(CliSession session, StreamName stream, Exception error, CancellationToken cancellationToken)
    {
        long lastReadVersion = 0;
        try
        {
            await foreach (var recorded in session.Store.ReadStreamAsync(stream, ReadStreamOptions.All, cancellationToken))
            {
                lastReadVersion = recorded.StreamVersion;
            }
        }
        catch (Exception e) when (e is JsonException or UnknownEventTypeException or NotSupportedException or InvalidCastException)
        {
            // Stopped at the same event, as expected: the one after lastReadVersion.
        }

        // Events are read in version order, so the one that failed is the first after the last one read.
        var what = $"an event of {stream.Tenant}/{stream.Id} after version {lastReadVersion}";
        await using (var command = session.DataSource.CreateCommand(
            $"SELECT stream_version, position, event_type FROM {session.Store.Options.Schema}.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version > $3 ORDER BY stream_version LIMIT 1"))
        {
            command.Parameters.AddWithValue(stream.Tenant);
            command.Parameters.AddWithValue(stream.Id);
            command.Parameters.AddWithValue(lastReadVersion);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                what = string.Create(CultureInfo.InvariantCulture,
                    $"event version {reader.GetInt64(0)} of {stream.Tenant}/{stream.Id} ({reader.GetString(2)}, log position {reader.GetInt64(1)})");
            }
        }

        var reason = CommandFailure.OneLine(error.Message).TrimEnd('.');
        return new CliException($"{what} cannot be read ({reason}); its hash chain is intact, so it was stored like this: an event this version of eventcase cannot read", ExitCodes.Failure, error);
    }
}

using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;

namespace EventCase.Cases.Handling;

/// <summary>
/// The single path every case command takes, from the API, the CLI or an importer: load the case stream (tenant =
/// the caller's agency), fold it with <see cref="CaseDecider"/>, decide, and append the events at exactly the loaded
/// version, with the caller's actor, correlation, causation, channel and reason on every event. When another writer
/// got there first the command is re-loaded and re-decided (a bounded number of times), so no update is lost and
/// every decision is made on the state it is appended to. Thread safe; one instance can serve the whole process.
/// </summary>
/// <remarks>
/// Agencies are isolated by construction: a command is loaded from the stream of the caller's agency, so another
/// agency's case is simply not there (<see cref="CaseNotFound"/>); and an open for another agency is refused.
/// </remarks>
public sealed class CaseCommandHandler
{
    private readonly PostgresEventStore _store;
    private readonly ICaseNumberAllocator? _numbers;
    private readonly CaseCommandHandlerOptions _options;

    /// <summary>Creates a handler.</summary>
    /// <param name="store">The event store; its registry must hold the case events (<see cref="CaseEvents.AddCaseEvents"/>).</param>
    /// <param name="numbers">Draws case numbers for <see cref="OpenCaseAsync"/>; null when cases are only opened with
    /// numbers drawn elsewhere (an import keeping its historical numbers).</param>
    /// <param name="options">Retry settings.</param>
    public CaseCommandHandler(PostgresEventStore store, ICaseNumberAllocator? numbers = null, CaseCommandHandlerOptions? options = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _numbers = numbers;
        _options = options ?? new CaseCommandHandlerOptions();
    }

    /// <summary>The event store (for <see cref="Transferring.CaseTransfer"/>, which appends a transfer with its receiving case).</summary>
    internal PostgresEventStore Store => _store;

    /// <summary>The case number allocator, if the handler has one.</summary>
    internal ICaseNumberAllocator? Numbers => _numbers;

    /// <summary>The retry and snapshot settings.</summary>
    internal CaseCommandHandlerOptions Options => _options;

    /// <summary>Loads a case of <paramref name="agency"/>: its events, version and folded state.</summary>
    /// <returns>The case; version 0 and <see cref="CaseState.Initial"/> when it does not exist.</returns>
    public async Task<LoadedCase> LoadAsync(AgencyId agency, CaseId caseId, CancellationToken cancellationToken = default)
    {
        var stream = CaseStreams.For(agency, caseId);
        var events = new List<RecordedEvent>();
        await foreach (var recorded in _store.ReadStreamAsync(stream, ReadStreamOptions.All, cancellationToken))
        {
            events.Add(recorded);
        }

        return Fold(stream, 0, CaseState.Initial, events);
    }

    /// <summary>Folds <paramref name="events"/> (a stream's, oldest first) onto <paramref name="state"/> at <paramref name="version"/>.</summary>
    private static LoadedCase Fold(StreamName stream, long version, CaseState state, IReadOnlyList<RecordedEvent> events)
    {
        foreach (var recorded in events)
        {
            state = Evolve(stream, state, recorded.Data, recorded.EventType, recorded.StreamVersion);
            version = recorded.StreamVersion;
        }

        return new LoadedCase(stream, version, state, events);
    }

    private static CaseState Evolve(StreamName stream, CaseState state, object data, string eventType, long streamVersion) =>
        CaseDecider.Evolve(
            state,
            data as CaseEvent ?? throw new InvalidOperationException(
                $"Stream {stream} holds a {eventType} event at version {streamVersion}, which is not a case event."));

    /// <summary>
    /// Loads a case of <paramref name="agency"/>: its version and folded state, from its latest snapshot and the events
    /// after it (the snapshot the handler takes every <see cref="CaseCommandHandlerOptions.SnapshotEvery"/> events), or
    /// from all its events when it has none. The same state <see cref="LoadAsync"/> folds, without the history.
    /// </summary>
    /// <returns>The case; version 0 and <see cref="CaseState.Initial"/> when it does not exist.</returns>
    public async Task<LoadedCaseState> LoadStateAsync(AgencyId agency, CaseId caseId, CancellationToken cancellationToken = default)
    {
        var loaded = await LoadLatestAsync(agency, caseId, cancellationToken);
        return new LoadedCaseState(loaded.Stream, loaded.Version, loaded.State);
    }

    /// <summary>
    /// The case from its latest snapshot and the events after it, of which it reads only what the fold needs.
    /// <see cref="LoadedCase.Events"/> is empty: the state is enough to decide a command, but not to find an
    /// idempotency key (keyed commands load the whole history).
    /// </summary>
    private async Task<LoadedCase> LoadLatestAsync(AgencyId agency, CaseId caseId, CancellationToken cancellationToken)
    {
        var stream = CaseStreams.For(agency, caseId);
        var read = await _store.ReadStreamDataFromSnapshotAsync(stream, CaseStateSnapshot.Kind, cancellationToken);
        var version = read.Snapshot?.Version ?? 0;
        var state = read.Snapshot is { } snapshot
            ? CaseStateSnapshot.Deserialize(snapshot.Utf8State, _store.Serializer.ReadingOptions, stream, snapshot.Version)
            : CaseState.Initial;
        foreach (var @event in read.Events)
        {
            state = Evolve(stream, state, @event.Data, @event.EventType, @event.StreamVersion);
            version = @event.StreamVersion;
        }

        return new LoadedCase(stream, version, state, []);
    }

    /// <summary>
    /// Decides <paramref name="command"/> on the current state of its case and appends the result.
    /// </summary>
    /// <remarks>
    /// A link (<see cref="LinkParentCase"/> on the child, or <see cref="LinkChildCase"/> on the parent) is two facts on two
    /// streams, and the handler records both, whichever side it is sent to: the parent on the child and the child on the
    /// parent, in one atomic append, each decided on its own stream's state and with the parent's ancestry the handler
    /// looks up itself (the ancestry on the command is not used). So every link passes the child's rules (at most one
    /// parent, not under its own descendant), from whichever side it is made. The answer (events, version, If-Match,
    /// Idempotency-Key) is the sent case's.
    /// <para>A <see cref="MarkDuplicate"/> is recorded on both cases the same way (decision 0021): the handler loads the
    /// original of the caller's agency itself, decides the duplicate's <see cref="CaseMarkedDuplicate"/> and the
    /// original's <see cref="DuplicateCaseMerged"/> on their current states (the original must carry on), and appends
    /// both in one append at the versions it loaded; a concurrent change to either case makes it decide both again. An
    /// original that does not exist in the agency is <see cref="CaseNotFound"/> naming it.</para>
    /// </remarks>
    /// <param name="command">The command; an <see cref="OpenCase"/> must carry its number already (see <see cref="OpenCaseAsync"/>).
    /// A <see cref="TransferCase"/> goes through <see cref="Transferring.CaseTransfer"/>, which opens the receiving case
    /// in the same append.</param>
    /// <param name="context">Who sends it, for which agency; optionally an idempotency key and an expected version.</param>
    /// <param name="cancellationToken">Cancels loading and appending (an append that committed stays).</param>
    /// <exception cref="ArgumentException">The command is a <see cref="TransferCase"/>.</exception>
    public Task<CaseCommandResult> HandleAsync(CaseCommand command, CommandContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        if (command is TransferCase)
        {
            // A transfer decided here would leave the request with no agency: the receiving case is opened with it.
            throw new ArgumentException("A transfer opens the receiving agency's case in the same append: send it through CaseTransfer.TransferAsync.", nameof(command));
        }

        return HandleCoreAsync(command, context, null, cancellationToken);
    }

    /// <summary>
    /// Opens a case with a newly drawn number: draws the next number of <paramref name="series"/>, builds the open
    /// command with it, decides and appends. A case id that already exists draws no number: the answer is the
    /// rejection (or <see cref="CaseCommandResult.AlreadyApplied"/> when the same idempotency key opened it). A number
    /// drawn for an open that is then rejected is not reused: numbers may have gaps, never duplicates.
    /// </summary>
    /// <param name="context">Who opens it; <see cref="CommandContext.Agency"/> must be the series' agency.</param>
    /// <param name="caseId">The new case's id, chosen by the caller.</param>
    /// <param name="series">The agency's number series for the current year.</param>
    /// <param name="createCommand">Builds the open command for <paramref name="caseId"/> with the drawn number.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="InvalidOperationException">The handler was created without a number allocator.</exception>
    /// <exception cref="ArgumentException">The series is another agency's, or the command is for another case or number.</exception>
    public Task<CaseCommandResult> OpenCaseAsync(
        CommandContext context,
        CaseId caseId,
        CaseNumberSeries series,
        Func<CaseNumber, OpenCase> createCommand,
        CancellationToken cancellationToken = default) =>
        OpenCaseCoreAsync(context, caseId, minted: false, series, createCommand, cancellationToken);

    /// <summary>
    /// <see cref="OpenCaseAsync"/> for a case id this process has just minted as a UUIDv7 (no idempotency key): no
    /// stream can have it, so the open skips reading the stream first. Should one exist all the same, the append
    /// (expecting no stream) is refused and the open is decided again on the stored case, as any other conflict is.
    /// </summary>
    internal Task<CaseCommandResult> OpenMintedCaseAsync(
        CommandContext context,
        CaseId caseId,
        CaseNumberSeries series,
        Func<CaseNumber, OpenCase> createCommand,
        CancellationToken cancellationToken) =>
        OpenCaseCoreAsync(context, caseId, minted: true, series, createCommand, cancellationToken);

    private async Task<CaseCommandResult> OpenCaseCoreAsync(
        CommandContext context,
        CaseId caseId,
        bool minted,
        CaseNumberSeries series,
        Func<CaseNumber, OpenCase> createCommand,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(caseId);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(createCommand);
        var numbers = _numbers ?? throw new InvalidOperationException("This handler has no case number allocator; pass one to its constructor to open cases with new numbers.");
        if (series.Agency != context.Agency)
        {
            throw new ArgumentException($"The number series of agency '{series.Agency}' cannot number a case of agency '{context.Agency}'.", nameof(series));
        }

        var loaded = minted && context.IdempotencyKey is null && context.ExpectedVersion is null
            ? new LoadedCase(CaseStreams.For(context.Agency, caseId), 0, CaseState.Initial, [])
            : await LoadAsync(context.Agency, caseId, cancellationToken);
        if (loaded.Version > 0 || context.ExpectedVersion is > 0)
        {
            // Nothing to number: decide with a placeholder so the answer (already applied, precondition failed,
            // already opened) is the one any other open of this case would get.
            return await HandleCoreAsync(createCommand(series.Number(1)) with { CaseId = caseId }, context, loaded, cancellationToken);
        }

        var number = await numbers.AllocateAsync(series, cancellationToken);
        var command = createCommand(number);
        if (command.CaseId != caseId || command.Number != number)
        {
            throw new ArgumentException($"The open command must be for case '{caseId}' with number {number}; it was for '{command.CaseId}' with {command.Number}.", nameof(createCommand));
        }

        return await HandleCoreAsync(command, context, loaded, cancellationToken);
    }

    private async Task<CaseCommandResult> HandleCoreAsync(
        CaseCommand command, CommandContext context, LoadedCase? preloaded, CancellationToken cancellationToken)
    {
        if (command is OpenCase open && open.Agency != context.Agency)
        {
            return new CaseCommandResult.Rejected(
                new InvalidCommandInput(open.Number.Value, CaseStatus.NotOpened, open.Action, nameof(open.Agency),
                    $"the caller's own agency '{context.Agency}', not '{open.Agency}'"),
                0);
        }

        if (command is LinkParentCase or LinkChildCase)
        {
            return await LinkCoreAsync(command, context, cancellationToken);
        }

        if (command is MarkDuplicate mark)
        {
            return await MarkDuplicateCoreAsync(mark, context, cancellationToken);
        }

        if (command is MergeDuplicate)
        {
            // The original's side alone would record a duplicate that is not marked as one.
            throw new ArgumentException("A duplicate is merged by marking it: send MarkDuplicate to the duplicate.", nameof(command));
        }

        var key = context.IdempotencyKey;
        for (var attempt = 1; ; attempt++)
        {
            var loaded = attempt == 1 && preloaded is not null
                ? preloaded
                : await LoadForCommandAsync(context, command.CaseId, cancellationToken);
            if (Precheck(loaded, command, context, attempt) is { } answered)
            {
                return answered;
            }

            var decision = CaseDecider.Decide(command, loaded.State);
            if (decision.Rejection is { } rejection)
            {
                return new CaseCommandResult.Rejected(rejection, loaded.Version) { Attempts = attempt };
            }

            if (decision.Events.Count == 0)
            {
                return new CaseCommandResult.Accepted(loaded.Version, [], loaded.State) { Attempts = attempt };
            }

            var newEvents = ToNewEvents(loaded.Stream, command, context, decision.Events);
            if (_options.BeforeAppend is { } hook)
            {
                await hook(command, attempt, cancellationToken);
            }

            AppendResult appended;
            try
            {
                appended = await _store.AppendToStreamAsync(
                    loaded.Stream,
                    CaseStreams.StreamType,
                    loaded.Version == 0 ? ExpectedVersion.NoStream : ExpectedVersion.Exactly(loaded.Version),
                    newEvents,
                    cancellationToken);
            }
            catch (WrongExpectedVersionException conflict)
            {
                if (context.ExpectedVersion is { } ifMatch)
                {
                    // The caller asked for this exact version; re-deciding on a newer one would overrule them.
                    return new CaseCommandResult.PreconditionFailed(ifMatch, conflict.ActualVersion) { Attempts = attempt };
                }

                if (attempt > _options.MaxConcurrencyRetries)
                {
                    return new CaseCommandResult.ConcurrencyConflict(conflict.ActualVersion) { Attempts = attempt };
                }

                continue;
            }
            catch (DuplicateEventIdException) when (key is not null && attempt <= _options.MaxConcurrencyRetries)
            {
                // The same key was applied concurrently with other events (a re-decision on a newer state): the next
                // load finds them and answers AlreadyApplied.
                continue;
            }

            if (appended.AlreadyAppended && key is not null)
            {
                // The same key's events are stored: a copy of this request won a race with us, or this very append
                // committed before its connection was lost. Reload to answer with what is stored, and to whom.
                continue;
            }

            // Without a key the event ids were minted by this call, so events stored under them are this append's own:
            // it committed, and the store found it when it wrote it again after losing the connection (a combined
            // batch does, decision 0016). Deciding again would write the command a second time.

            var state = CaseDecider.Fold(loaded.State, decision.Events);
            await SnapshotIfDueAsync(loaded.Stream, loaded.Version, appended.NextExpectedVersion, state, cancellationToken);
            return new CaseCommandResult.Accepted(appended.NextExpectedVersion, decision.Events, state) { Attempts = attempt };
        }
    }

    /// <summary>A command with an idempotency key needs the whole history, to find an earlier append with that key.</summary>
    private Task<LoadedCase> LoadForCommandAsync(CommandContext context, CaseId caseId, CancellationToken cancellationToken) =>
        context.IdempotencyKey is null
            ? LoadLatestAsync(context.Agency, caseId, cancellationToken)
            : LoadAsync(context.Agency, caseId, cancellationToken);

    /// <summary>The answer before deciding, if there is one: an earlier append with the key, a failed If-Match, another agency's case.</summary>
    internal static CaseCommandResult? Precheck(LoadedCase loaded, CaseCommand command, CommandContext context, int attempt)
    {
        if (context.IdempotencyKey is { } key && FindApplied(loaded, key, command, context) is { } applied)
        {
            return applied with { Attempts = attempt };
        }

        if (context.ExpectedVersion is { } expected && expected != loaded.Version)
        {
            return new CaseCommandResult.PreconditionFailed(expected, loaded.Version) { Attempts = attempt };
        }

        if (loaded.State is OpenedCase opened && opened.Agency != context.Agency)
        {
            // Cannot happen through this handler (the stream is the agency's own), but a stream written by hand
            // must not leak one agency's case to another: answer as if it did not exist.
            return new CaseCommandResult.Rejected(new CaseNotFound(command.CaseId.Value, command.Action), 0) { Attempts = attempt };
        }

        return null;
    }

    /// <summary>
    /// Links a child under a parent on both streams at once (see <see cref="HandleAsync"/>): decides the link on the sent
    /// case and its counterpart on the other, and appends both, or neither, at the versions they were decided on.
    /// </summary>
    private async Task<CaseCommandResult> LinkCoreAsync(CaseCommand command, CommandContext context, CancellationToken cancellationToken)
    {
        var (child, parent) = command switch
        {
            LinkParentCase c => (c.CaseId, c.ParentCaseId),
            LinkChildCase c => (c.ChildCaseId, c.CaseId),
            _ => throw new ArgumentException("Not a link command.", nameof(command)),
        };
        var other = command.CaseId == child ? parent : child;
        CaseLinkLock? linking = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var loaded = await LoadForCommandAsync(context, command.CaseId, cancellationToken);
                if (Precheck(loaded, command, context, attempt) is { } answered)
                {
                    return answered;
                }

                if (loaded.State is not OpenedCase || other == command.CaseId)
                {
                    // Not opened, or linked to itself: the decider's answer needs no other case.
                    var alone = CaseDecider.Decide(command, loaded.State);
                    return new CaseCommandResult.Rejected(alone.Rejection!, loaded.Version) { Attempts = attempt };
                }

                var counterpart = await LoadLatestAsync(context.Agency, other, cancellationToken);
                if (counterpart.State is not OpenedCase)
                {
                    return new CaseCommandResult.Rejected(new CaseNotFound(other.Value, command.Action), loaded.Version) { Attempts = attempt };
                }

                var (childCase, parentCase) = command.CaseId == child ? (loaded, counterpart) : (counterpart, loaded);
                if (linking is null && ((OpenedCase)parentCase.State).Parent is not null)
                {
                    // The parent's ancestry is read, not appended to, so a link made meanwhile higher up could close a
                    // loop that neither link sees (CaseLinkLock says why this lock is enough). Load again under the
                    // lock: this is not a lost race, so it does not count as another attempt.
                    linking = await CaseLinkLock.TakeAsync(_store, context.Agency, cancellationToken);
                    attempt--;
                    continue;
                }

                var ancestry = await AncestryAsync(context.Agency, (OpenedCase)parentCase.State, cancellationToken);
                var sides = new[]
                {
                    (Loaded: childCase, Command: (CaseCommand)new LinkParentCase(child, parent, ancestry, command.Now)),
                    (Loaded: parentCase, Command: new LinkChildCase(parent, child, ancestry, command.Now)),
                }.OrderBy(side => side.Loaded.Stream == loaded.Stream ? 0 : 1).ToArray();
                var decisions = new List<(LoadedCase Loaded, CaseCommand Command, IReadOnlyList<CaseEvent> Events)>();
                foreach (var (side, sideCommand) in sides)
                {
                    var decision = CaseDecider.Decide(sideCommand, side.State);
                    if (decision.Rejection is { } rejection)
                    {
                        return new CaseCommandResult.Rejected(decisions.Count == 0 ? rejection : AsSentCase(rejection, command, (OpenedCase)loaded.State, other), loaded.Version)
                        {
                            Attempts = attempt,
                        };
                    }

                    decisions.Add((side, sideCommand, decision.Events));
                }

                var appends = decisions
                    .Where(d => d.Events.Count > 0)
                    // The other case's event ids derive from the key and the case the command was sent to: the same key
                    // sent to link another case to that same other case is another request, and must not meet these ids as
                    // a retry of its own (its side would be skipped as already appended).
                    .Select(d => new StreamAppend(d.Loaded.Stream, CaseStreams.StreamType, ExpectedVersion.Exactly(d.Loaded.Version),
                        ToNewEvents(d.Loaded.Stream, command, context, d.Events, sentStream: d.Loaded.Stream == loaded.Stream ? null : loaded.Stream)))
                    .ToList();
                var own = decisions[0];
                if (appends.Count == 0)
                {
                    return new CaseCommandResult.Accepted(loaded.Version, [], loaded.State) { Attempts = attempt };
                }

                var (appended, answer) = await AppendBothSidesAsync(command, context, appends, attempt, cancellationToken);
                if (answer is not null)
                {
                    return answer;
                }

                if (appended is null)
                {
                    continue;
                }

                var version = loaded.Version;
                CaseState state = loaded.State;
                for (var i = 0; i < appends.Count; i++)
                {
                    var decided = decisions.Single(d => d.Loaded.Stream == appends[i].Stream);
                    var folded = CaseDecider.Fold(decided.Loaded.State, decided.Events);
                    await SnapshotIfDueAsync(decided.Loaded.Stream, decided.Loaded.Version, appended[i].NextExpectedVersion, folded, cancellationToken);
                    if (decided.Loaded.Stream == loaded.Stream)
                    {
                        (version, state) = (appended[i].NextExpectedVersion, folded);
                    }
                }

                return new CaseCommandResult.Accepted(version, own.Events, state) { Attempts = attempt };
            }
        }
        finally
        {
            if (linking is not null)
            {
                await linking.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Merges a duplicate into its original on both streams at once (see <see cref="HandleAsync"/>): loads both, decides
    /// both sides on what they are, and appends both, or neither, at the versions they were decided on. A lost race
    /// (either case moved, or a copy of this request with the same key won) decides again on both.
    /// </summary>
    private async Task<CaseCommandResult> MarkDuplicateCoreAsync(MarkDuplicate command, CommandContext context, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var loaded = await LoadForCommandAsync(context, command.CaseId, cancellationToken);
            if (Precheck(loaded, command, context, attempt) is { } answered)
            {
                return answered;
            }

            // The duplicate's own status first (it exists, it is open, not its own original): a merge it refuses for that
            // needs no other case.
            if ((loaded.State is OpenedCase opened ? MarkingDuplicateRules.RefusalBeforeTheOriginal(command, opened) : CaseDecider.Decide(command, loaded.State).Rejection)
                is { } refused)
            {
                return new CaseCommandResult.Rejected(refused, loaded.Version) { Attempts = attempt };
            }

            var original = await LoadLatestAsync(context.Agency, command.OriginalCaseId, cancellationToken);
            if (original.State is not OpenedCase originalCase)
            {
                return new CaseCommandResult.Rejected(new CaseNotFound(command.OriginalCaseId.Value, command.Action), loaded.Version) { Attempts = attempt };
            }

            var duplicate = (OpenedCase)loaded.State;
            var decision = MarkingDuplicateRules.Decide(command, duplicate, originalCase);
            if (decision.Rejection is { } rejection)
            {
                return new CaseCommandResult.Rejected(rejection, loaded.Version) { Attempts = attempt };
            }

            var appends = new List<StreamAppend>
            {
                new(loaded.Stream, CaseStreams.StreamType, ExpectedVersion.Exactly(loaded.Version), ToNewEvents(loaded.Stream, command, context, decision.OnDuplicate)),
            };
            // Nothing for the original only when it lists this duplicate already, which an open duplicate never is.
            if (decision.OnOriginal.Count > 0)
            {
                // The original's event ids derive from the key and the duplicate: the same key sent to mark another case
                // into this original is another request, and must not meet these ids as a retry of its own.
                appends.Add(new StreamAppend(original.Stream, CaseStreams.StreamType, ExpectedVersion.Exactly(original.Version),
                    ToNewEvents(original.Stream, command, context, decision.OnOriginal, sentStream: loaded.Stream)));
            }

            var (appended, answer) = await AppendBothSidesAsync(command, context, appends, attempt, cancellationToken);
            if (answer is not null)
            {
                return answer;
            }

            if (appended is null)
            {
                continue;
            }

            var after = CaseDecider.Fold(duplicate, decision.OnDuplicate);
            await SnapshotIfDueAsync(loaded.Stream, loaded.Version, appended[0].NextExpectedVersion, after, cancellationToken);
            if (appends.Count > 1)
            {
                await SnapshotIfDueAsync(original.Stream, original.Version, appended[1].NextExpectedVersion, CaseDecider.Fold(originalCase, decision.OnOriginal), cancellationToken);
            }

            return new CaseCommandResult.Accepted(appended[0].NextExpectedVersion, decision.OnDuplicate, after) { Attempts = attempt };
        }
    }

    /// <summary>
    /// The one append of a command recorded on two cases (a link, a merge), at the versions both were decided on.
    /// </summary>
    /// <returns>
    /// The results when it was written; an answer to give when the caller must stop (retries used up); neither when the
    /// caller must load and decide both cases again: either case moved meanwhile, or a copy of this request with the same
    /// key stored it first (the next load answers a failed If-Match, or with what the key stored).
    /// </returns>
    private async Task<(IReadOnlyList<AppendResult>? Appended, CaseCommandResult? Answer)> AppendBothSidesAsync(
        CaseCommand command, CommandContext context, IReadOnlyList<StreamAppend> appends, int attempt, CancellationToken cancellationToken)
    {
        if (_options.BeforeAppend is { } hook)
        {
            await hook(command, attempt, cancellationToken);
        }

        IReadOnlyList<AppendResult> appended;
        try
        {
            appended = await _store.AppendToStreamsAsync(appends, cancellationToken);
        }
        catch (Exception e) when (e is WrongExpectedVersionException or DuplicateEventIdException && attempt <= _options.MaxConcurrencyRetries)
        {
            return (null, null);
        }
        catch (WrongExpectedVersionException conflict)
        {
            return (null, new CaseCommandResult.ConcurrencyConflict(conflict.ActualVersion) { Attempts = attempt });
        }

        return appended.Any(a => a.AlreadyAppended) && context.IdempotencyKey is not null ? (null, null) : (appended, null);
    }

    /// <summary>
    /// The other case's refusal of a link, told as the sent case's: the caller asked about their case, so the answer
    /// names it, its status and their command first, then what the other case's rules say.
    /// </summary>
    private static CaseRejection AsSentCase(CaseRejection counterpart, CaseCommand command, OpenedCase sent, CaseId other) => counterpart is InvalidCaseLink link
        ? new InvalidCaseLink(sent.Label, sent.Status, command.Action, other, link.Problem,
            $"case {sent.Label} is {sent.Status}; {command.Action} is refused by the other case of the link: {link.Message}")
        : counterpart;

    /// <summary>
    /// The ancestors of <paramref name="start"/>, parent first, up to its topmost case, however many: a link is refused
    /// as a cycle only if the child is among them, so a walk cut short would let a case under its own deep descendant. A
    /// chain that comes back to a case it passed (which no link makes) stops there rather than loop.
    /// </summary>
    private async Task<IReadOnlyList<CaseId>> AncestryAsync(AgencyId agency, OpenedCase start, CancellationToken cancellationToken)
    {
        var ancestry = new List<CaseId>();
        var seen = new HashSet<CaseId>();
        var current = start;
        while (current.Parent is { } parent && seen.Add(parent))
        {
            ancestry.Add(parent);
            if ((await LoadLatestAsync(agency, parent, cancellationToken)).State is not OpenedCase next)
            {
                break;
            }

            current = next;
        }

        return ancestry;
    }

    /// <summary>
    /// Takes a snapshot when an append crosses a multiple of <see cref="CaseCommandHandlerOptions.SnapshotEvery"/>: the
    /// state is the fold at exactly the new version (the append expected the loaded version). A failed snapshot write is
    /// ignored: the command succeeded, and a load without that snapshot only reads more events.
    /// </summary>
    internal async Task SnapshotIfDueAsync(StreamName stream, long before, long after, CaseState state, CancellationToken cancellationToken)
    {
        var every = _options.SnapshotEvery;
        if (every == 0 || state is not OpenedCase opened || before / every == after / every)
        {
            return;
        }

        try
        {
            await _store.SaveSnapshotAsync(stream, CaseStateSnapshot.Kind, after, CaseStateSnapshot.Serialize(opened, _store.Serializer.Options), cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or OperationCanceledException)
        {
            // The next crossing takes one; meanwhile loads fold from the previous snapshot.
        }
    }

    // The metadata entries a command's events carry besides the envelope.
    private const string CommandExtra = "command";
    private const string IdempotencyKeyExtra = "idempotencyKey";
    private const string RequestFingerprintExtra = "requestFingerprint";

    /// <summary>
    /// The events to append to <paramref name="stream"/> for <paramref name="command"/>, with the context's metadata. With
    /// an idempotency key their ids derive from it (<see cref="CaseEventIds.ForIdempotencyKey"/>), or, for the other case
    /// of a two-sided command, from it and <paramref name="sentStream"/>, the case the command was sent to.
    /// </summary>
    internal static NewEvent[] ToNewEvents(
        StreamName stream, CaseCommand command, CommandContext context, IReadOnlyList<CaseEvent> events, StreamName? sentStream = null)
    {
        var extra = new Dictionary<string, string>(StringComparer.Ordinal) { [CommandExtra] = command.Action };
        if (context.IdempotencyKey is { } key)
        {
            extra[IdempotencyKeyExtra] = key;
            if (context.RequestFingerprint is { } fingerprint)
            {
                extra[RequestFingerprintExtra] = fingerprint;
            }
        }

        var metadata = new EventMetadata(
            context.ActorId,
            context.ActorRole,
            context.CorrelationId,
            context.CausationId ?? context.CorrelationId,
            context.Channel,
            context.Reason)
        {
            Extra = extra,
        };
        var result = new NewEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var id = context.IdempotencyKey is not { } k ? CaseEventIds.New()
                : sentStream is { } sent ? CaseEventIds.ForCounterpart(stream, sent, k, i)
                : CaseEventIds.ForIdempotencyKey(stream, k, i);
            result[i] = new NewEvent(id, events[i], metadata);
        }

        return result;
    }

    /// <summary>
    /// The earlier append made with <paramref name="key"/>, if the stream holds it; <see cref="CaseCommandResult.IdempotencyKeyReused"/>
    /// when that append was another request's: another actor's, another command, or other content (when both requests
    /// carry a fingerprint). The earlier answer may hold what only its sender may see, so it is given only to the same
    /// actor for the same request.
    /// </summary>
    private static CaseCommandResult? FindApplied(LoadedCase loaded, string key, CaseCommand command, CommandContext context)
    {
        var first = CaseEventIds.ForIdempotencyKey(loaded.Stream, key, 0);
        var start = -1;
        for (var i = 0; i < loaded.Events.Count; i++)
        {
            if (loaded.Events[i].EventId == first)
            {
                start = i;
                break;
            }
        }

        if (start < 0)
        {
            return null;
        }

        if (ReuseOf(loaded.Events[start].Metadata, command, context) is { } difference)
        {
            return new CaseCommandResult.IdempotencyKeyReused(difference);
        }

        var end = start + 1;
        while (end < loaded.Events.Count && loaded.Events[end].EventId == CaseEventIds.ForIdempotencyKey(loaded.Stream, key, end - start))
        {
            end++;
        }

        var events = loaded.Events.Skip(start).Take(end - start).Select(e => (CaseEvent)e.Data).ToArray();
        return new CaseCommandResult.AlreadyApplied(loaded.Events[end - 1].StreamVersion, events, loaded.Version, loaded.State);
    }

    /// <summary>What makes the stored append another request than this one, or null when it is the same request.</summary>
    private static string? ReuseOf(EventMetadata stored, CaseCommand command, CommandContext context)
    {
        if (!string.Equals(stored.ActorId, context.ActorId, StringComparison.Ordinal) || !string.Equals(stored.ActorRole, context.ActorRole, StringComparison.Ordinal))
        {
            return "another actor";
        }

        var extra = stored.Extra;
        if (extra is not null && extra.TryGetValue(CommandExtra, out var storedCommand) && !string.Equals(storedCommand, command.Action, StringComparison.Ordinal))
        {
            return "another command";
        }

        // Appends stored before fingerprints were recorded, and callers that give none, are judged by actor and command.
        if (context.RequestFingerprint is { } fingerprint && extra is not null && extra.TryGetValue(RequestFingerprintExtra, out var storedFingerprint)
            && !string.Equals(storedFingerprint, fingerprint, StringComparison.Ordinal))
        {
            return "other content";
        }

        return null;
    }
}

/// <summary>A case's version and state, as <see cref="CaseCommandHandler.LoadStateAsync"/> loads it.</summary>
/// <param name="Stream">The stream (tenant = agency, id = case id).</param>
/// <param name="Version">The stream's version: the number of events, 0 when the case does not exist.</param>
/// <param name="State">The state folded from the events.</param>
public sealed record LoadedCaseState(StreamName Stream, long Version, CaseState State);

/// <summary>A case as loaded from its stream.</summary>
/// <param name="Stream">The stream (tenant = agency, id = case id).</param>
/// <param name="Version">The stream's version: the number of events, 0 when the case does not exist.</param>
/// <param name="State">The state folded from the events.</param>
/// <param name="Events">The events, oldest first, with their ids, versions and metadata.</param>
public sealed record LoadedCase(StreamName Stream, long Version, CaseState State, IReadOnlyList<RecordedEvent> Events);

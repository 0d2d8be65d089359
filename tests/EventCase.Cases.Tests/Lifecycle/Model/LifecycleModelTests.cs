using System.Text.Json;
using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.Routing;
using EventCase.Cases.Schema;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Projections;
using EventCase.EventStore.Projections.Testing;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using Commands = EventCase.Cases;

namespace EventCase.Cases.Tests.Lifecycle.Model;

/// <summary>
/// Seeded random sequences of every case command, over many cases of three agencies, driven through the real
/// PostgreSQL-backed handler and transfer, each step compared with <see cref="LifecycleModel"/>: accepted or refused
/// (and why, in words naming the case), the events each stream gains, the folded state; every so often every read model
/// (summary, work queue, number lookup, SLA clock, audit trail, statistics' facts) against the model and against a
/// fold of the case's events; at the end, every projection rebuilt from the log gives the rows built live.
/// </summary>
public sealed class LifecycleModelTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly BusinessCalendar NineToFive = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)]);
    private static readonly string[] Teams = ["roads", "parks"];
    private static readonly string?[] AgentsOrNone = [null, "ann", "bob"];
    private static readonly CasePriority[] Priorities = Enum.GetValues<CasePriority>();
    private static readonly Duration[] Windows = [Duration.FromHours(1), Duration.FromDays(1), Duration.FromDays(30)];
    private static readonly EventMetadata Admin = new("admin-1", "admin");

    private static readonly string[] Everywhere =
    [
        "accepted", "no-op", LifecycleModel.NotFound, LifecycleModel.AlreadyOpened, LifecycleModel.InvalidStatus, LifecycleModel.InvalidInput,
        LifecycleModel.InvalidLevel, LifecycleModel.WindowElapsed, LifecycleModel.FeedbackGiven, LifecycleModel.ToItself, LifecycleModel.Cycle,
        LifecycleModel.HasParent, LifecycleModel.DoesNotCarryOn, LifecycleModel.HasDuplicates, LifecycleModel.UnknownAgency,
        .. CaseStatuses.All.Where(s => s != CaseStatus.NotOpened).Select(s => s.ToString()),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1, 1500)]
    [InlineData(2, 1500)]
    public async Task Random_command_sequences_do_what_the_documented_lifecycle_says_and_every_read_model_agrees(int seed, int steps)
    {
        var run = await Run.StartAsync(database, seed, Ct);
        var random = new Random(seed);
        var model = run.Model;
        var now = T0;
        var opened = 0;
        for (var step = 0; step < steps; step++)
        {
            now += random.Next(10) switch
            {
                < 5 => Duration.FromMinutes(random.Next(0, 90)),
                < 9 => Duration.FromHours(random.Next(1, 10)),
                _ => Duration.FromDays(random.Next(1, 4)),
            };
            var because = $"seed {seed}, step {step}";
            if (opened < 8 || random.Next(9) == 0)
            {
                var agency = random.Next(5) == 0 ? run.B : run.A;
                var id = random.Next(40) == 0 && model.Cases.FirstOrDefault(c => c.Agency == agency) is { } existing
                    ? existing.Id
                    : $"case-{seed}-{opened++}";
                var routed = random.Next(3) == 0 ? Teams[random.Next(Teams.Length)] : null;
                var priority = Priorities[random.Next(Priorities.Length)];
                await run.CheckAsync(because, agency, id, null, model.Open(agency, id, routed, priority, now),
                    () => run.OpenAsync(agency, id, routed, priority, now));
                continue;
            }

            var (sender, caseId) = PickCase(random, run);
            var stepToTake = RandomStep(random, run, sender, caseId);
            await run.CheckAsync($"{because}: {stepToTake} on {caseId} sent by {sender}", sender, caseId, stepToTake,
                model.Decide(sender, caseId, stepToTake, now), () => run.SendAsync(sender, caseId, stepToTake, now));
            if (step % 250 == 249)
            {
                await run.CheckEveryReadModelAsync(because);
            }
        }

        await run.CheckEveryReadModelAsync($"seed {seed}, at the end");
        await run.CheckFactsSpanningTwoCasesAsync($"seed {seed}");
        await run.CheckStreamRebuildsChangeNothingAsync($"seed {seed}");
        await run.CheckWholeRebuildsGiveTheLiveRowsAsync($"seed {seed}");
        // The run is only worth something if it went everywhere: every status, every refusal the docs name.
        Assert.Equal([], Everywhere.Except(run.Seen.Concat(run.Reached)).Order(StringComparer.Ordinal));
        Assert.True(model.Cases.Count() > 100, $"seed {seed}: only {model.Cases.Count()} cases");
    }

    /// <summary>
    /// Commands sent four at a time to a dozen cases cannot be predicted one by one, but whatever wins, the facts that
    /// span two cases must hold: each link and each merge is on both cases or neither, a case has one parent and never
    /// descends from itself, nothing is merged into a case that no longer carries on, a case carrying duplicates is not
    /// cancelled or merged afterwards, and each transfer opened its receiving case.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Commands_sent_at_once_leave_every_fact_that_spans_two_cases_on_both_and_no_loop(int seed)
    {
        var run = await Run.StartAsync(database, seed, Ct);
        var random = new Random(seed);
        var now = T0;
        var cases = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            cases.Add($"case-{seed}-{i}");
            Assert.Null((await run.OpenAsync(run.A, cases[^1], i % 2 == 0 ? "roads" : null, CasePriority.Normal, now)).Code);
        }

        for (var round = 0; round < 120; round++)
        {
            now += Duration.FromMinutes(random.Next(1, 30));
            var at = now;
            var sends = Enumerable.Range(0, 4).Select(_ =>
            {
                var caseId = cases[random.Next(cases.Count)];
                var other = cases[random.Next(cases.Count)];
                Step step = random.Next(12) switch
                {
                    < 4 => new Step.Link(other, random.Next(2) == 0),
                    < 6 => new Step.MarkDuplicate(other),
                    6 => new Step.Cancel("Withdrawn"),
                    7 => new Step.Transfer(run.B, "Their road"),
                    8 => new Step.Resolve("repaired"),
                    9 => new Step.Reopen("Still there", Duration.FromDays(30)),
                    10 => new Step.Close(),
                    _ => new Step.Assign("parks", null),
                };
                return run.SendAsync(run.A, caseId, step, at);
            }).ToList();
            foreach (var answer in await Task.WhenAll(sends))
            {
                Assert.True(answer.Code != "unexpected" || answer.Raw.StartsWith("ConcurrencyConflict", StringComparison.Ordinal), $"seed {seed}, round {round}: {answer.Raw}");
            }
        }

        var written = await run.CheckFactsSpanningTwoCasesAsync($"seed {seed}");
        Assert.Superset(new HashSet<Type> { typeof(Commands.Linking.ParentCaseLinked), typeof(Commands.MarkingDuplicate.DuplicateCaseMerged), typeof(Commands.Transferring.CaseTransferred) }, written);
    }

    /// <summary>Mostly a case still being worked, now and then a final one, one that does not exist or another agency's.</summary>
    private static (string Sender, string CaseId) PickCase(Random random, Run run)
    {
        var cases = run.Model.Cases.ToList();
        var draw = random.Next(100);
        if (draw < 3)
        {
            return (run.A, "case-nobody-opened");
        }

        if (draw < 6)
        {
            // Another agency's case: not there for the sender.
            var any = cases[random.Next(cases.Count)];
            return (any.Agency == run.A ? run.B : run.A, any.Id);
        }

        var live = cases.Where(c => !LifecycleModel.IsFinal(c.Status)).ToList();
        var pick = draw < 85 && live.Count > 0 ? live[random.Next(live.Count)] : cases[random.Next(cases.Count)];
        return (pick.Agency, pick.Id);
    }

    private static Step RandomStep(Random random, Run run, string sender, string caseId)
    {
        string Reason() => random.Next(10) == 0 ? " " : "Because";
        var model = run.Model.Find(sender, caseId);
        string Other()
        {
            var draw = random.Next(100);
            if (draw < 5)
            {
                return caseId;
            }

            if (draw < 8)
            {
                return "case-nobody-opened";
            }

            // Now and then a case of its own family, so that links meet cycles and second parents.
            if (draw < 40 && model is not null)
            {
                var family = run.Model.AncestorsOf(model).Concat(run.Model.DescendantsOf(model)).Concat(model.Duplicates).ToList();
                if (model.DuplicateOf is { } original)
                {
                    family.Add(original);
                }

                if (family.Count > 0)
                {
                    return family[random.Next(family.Count)];
                }
            }

            var pool = run.Model.Cases.Where(c => draw < 45 ? c.Agency != sender : c.Agency == sender).ToList();
            return pool.Count == 0 ? caseId : pool[random.Next(pool.Count)].Id;
        }

        // Mostly a command that suits the case's status, so that cases live long and reach every status; else any.
        if (model is { Duplicates.Count: > 0 } && LifecycleModel.IsOpen(model.Status) && random.Next(4) == 0)
        {
            // A case carrying others' requests, to be cancelled or merged itself.
            return random.Next(2) == 0 ? new Step.Cancel("Withdrawn") : new Step.MarkDuplicate(Other());
        }

        if (model is not null && random.Next(10) < 6)
        {
            Step[] suits = model.Status switch
            {
                CaseStatus.Open => [new Step.Assign(Teams[random.Next(Teams.Length)], null), new Step.Escalate(model.Level + 1, "Again")],
                CaseStatus.Assigned => [new Step.StartWork(), new Step.Resolve("repaired"), new Step.Deescalate(Math.Max(0, model.Level - 1), "Calmer"), new Step.Escalate(model.Level + 1, "Again")],
                CaseStatus.InProgress => [new Step.RequestInformation(), new Step.Resolve("repaired"), new Step.RequestInformation(), new Step.Unassign()],
                CaseStatus.AwaitingCitizen => [new Step.InformationReceived(), new Step.Resolve("repaired"), new Step.Assign(Teams[random.Next(Teams.Length)], "ann")],
                CaseStatus.Resolved => [new Step.Reopen("Still there", Duration.FromDays(30)), new Step.Feedback(random.Next(1, 6)), new Step.Close(), new Step.Reopen("Still there", Windows[random.Next(Windows.Length)])],
                _ => [new Step.Feedback(random.Next(1, 6)), new Step.Link(Other(), random.Next(2) == 0), new Step.AddNote()],
            };
            return suits[random.Next(suits.Length)];
        }

        return random.Next(25) switch
        {
            0 or 1 => new Step.Assign(Teams[random.Next(Teams.Length)], AgentsOrNone[random.Next(AgentsOrNone.Length)]),
            2 => new Step.Unassign(),
            3 or 4 => new Step.StartWork(),
            5 => new Step.RequestInformation(),
            6 => new Step.InformationReceived(),
            7 => random.Next(2) == 0 ? new Step.AddNote() : new Step.RecordContact(),
            8 => new Step.Escalate(random.Next(0, 5), Reason()),
            9 => new Step.Deescalate(random.Next(-1, 4), Reason()),
            10 => new Step.ChangePriority(Priorities[random.Next(Priorities.Length)]),
            11 => new Step.Transfer(random.Next(10) switch { 0 => sender, 1 => run.Nowhere, _ => sender == run.A ? run.B : run.A }, Reason()),
            12 or 13 => new Step.Resolve(random.Next(10) == 0 ? "" : "repaired"),
            14 => new Step.Close(),
            15 or 16 => new Step.Reopen(Reason(), Windows[random.Next(Windows.Length)]),
            17 => new Step.Cancel(Reason()),
            18 or 19 => new Step.MarkDuplicate(Other()),
            20 or 21 or 22 => new Step.Link(Other(), random.Next(2) == 0),
            _ => new Step.Feedback(random.Next(0, 7)),
        };
    }

    /// <summary>What the product answered, in the model's terms.</summary>
    private sealed record Answer(string? Code, CaseRejection? Rejection, IReadOnlyList<CaseEvent> Events, (string Id, string Number)? Receiving, string Raw);

    /// <summary>One seeded run: its own schema, agencies, store with every built-in projection, handler and transfer.</summary>
    private sealed class Run
    {
        private readonly IReadOnlyList<ProjectionTester> _testers;
        private readonly CaseCommandHandler _handler;
        private readonly CaseTransfer _transfer;
        private readonly AgencyCalendars _calendars = AgencyCalendars.Single(NineToFive);
        private readonly string _schema;

        private Run(string schema, IReadOnlyList<ProjectionTester> testers, CaseCommandHandler handler, CaseTransfer transfer, int seed)
        {
            (_schema, _testers, _handler, _transfer) = (schema, testers, handler, transfer);
            (A, B, Nowhere) = ($"alpha-{seed}", $"beta-{seed}", $"nowhere-{seed}");
            // Alpha routes nothing, so a case it takes over opens unassigned; beta routes potholes to its highways team.
            Model.Agencies[A] = null;
            Model.Agencies[B] = "highways";
        }

        public LifecycleModel Model { get; } = new();

        /// <summary>The answers given: refusal codes, "accepted", "no-op".</summary>
        public HashSet<string> Seen { get; } = new(StringComparer.Ordinal);

        /// <summary>The statuses the cases have reached.</summary>
        public IEnumerable<string> Reached => Model.Cases.Select(c => c.Status.ToString()).Concat(_reached);

        private readonly HashSet<string> _reached = new(StringComparer.Ordinal);

        public string A { get; }

        public string B { get; }

        /// <summary>An agency with no catalog: no agency this engine knows.</summary>
        public string Nowhere { get; }

        private PostgresEventStore Store => _testers[0].Store;

        public static async Task<Run> StartAsync(DatabaseFixture database, int seed, CancellationToken ct)
        {
            var schema = $"lifecycle{seed}";
            var calendars = AgencyCalendars.Single(NineToFive);
            var testers = await ProjectionTester.CreateManyAsync(database.DataSource, CaseEvents.CreateRegistry(), BuiltInProjections.Create(calendars), schema, ct);
            await CasesSchema.MigrateAsync(database.DataSource, schema, ct);
            var handler = new CaseCommandHandler(testers[0].Store, new PostgresCaseNumberAllocator(database.DataSource, schema));
            var reference = new ReferenceData(() => testers[0].Store, new CalendarCache());
            var run = new Run(schema, testers, handler, new CaseTransfer(reference, handler), seed);
            foreach (var (agency, team) in run.Model.Agencies)
            {
                var id = new AgencyId(agency);
                await reference.AppendAsync(id, ReferenceData.CatalogStream, 0, [new ServiceDefined(Pothole, PotholeService with { Agency = id }, T0)], Admin, null, ct);
                if (team is not null)
                {
                    await reference.AppendAsync(id, ReferenceData.RoutingStream, 0,
                        [new RoutingRuleAdded(new RoutingRule("roads", 1, [Pothole], null, id, new TeamId(team)), T0)], Admin, null, ct);
                }
            }

            return run;
        }

        private static CommandContext Context(string agency) => new(new AgencyId(agency), "sue", "supervisor", "corr-model", "web");

        private static string Prefix(string agency) => agency.StartsWith("alpha", StringComparison.Ordinal) ? "ALP" : "BET";

        public async Task<Answer> OpenAsync(string agency, string id, string? routedTo, CasePriority priority, Instant now)
        {
            var agencyId = new AgencyId(agency);
            var result = await _handler.OpenCaseAsync(Context(agency), new CaseId(id), new CaseNumberSeries(agencyId, Prefix(agency), 2026), number => new OpenCase(
                new CaseId(id), number, agencyId, new CatalogEntry(PotholeService with { Agency = agencyId }), "Deep pothole by the bus stop", Citizen, Location,
                Channel.Web, Attributes(("size", "large")), now, priority, routedTo is null ? null : new TeamId(routedTo)), Ct);
            return ToAnswer(result, result is CaseCommandResult.Accepted { State: OpenedCase o } ? (id, o.Number.Value) : null);
        }

        public async Task<Answer> SendAsync(string agency, string caseId, Step step, Instant now)
        {
            var id = new CaseId(caseId);
            if (step is Step.Transfer t)
            {
                var transferred = await _transfer.TransferAsync(Context(agency), new CaseTransferRequest(id, new AgencyId(t.ToAgency), t.Reason), Prefix(t.ToAgency), now, Ct);
                return transferred switch
                {
                    TransferResult.UnknownAgency => new Answer(LifecycleModel.UnknownAgency, null, [], null, transferred.ToString()),
                    TransferResult.Handled h => ToAnswer(h.Result, h.Receiving is { } r ? (r.CaseId.Value, r.Number.Value) : null),
                    _ => new Answer("unexpected", null, [], null, transferred.ToString()),
                };
            }

            CaseCommand command = step switch
            {
                Step.Assign a => new Commands.Assigning.AssignCase(id, new Assignment(new TeamId(a.Team), a.Agent is null ? null : new AgentId(a.Agent)), now),
                Step.Unassign => new Commands.Assigning.UnassignCase(id, "Wrong team", now),
                Step.StartWork => new Commands.StartingWork.StartWork(id, now),
                Step.RequestInformation => new Commands.RequestingInformation.RequestInformation(id, "Which side of the street?", Channel.Email, now),
                Step.InformationReceived => new Commands.RequestingInformation.RecordInformationReceived(id, "The north side", Channel.Email, now),
                Step.AddNote => new Commands.AddingNotes.AddNote(id, Commands.AddingNotes.NoteVisibility.Internal, "Crew booked", now),
                Step.RecordContact => new Commands.RecordingContacts.RecordContact(id, Commands.RecordingContacts.ContactDirection.Outbound, Channel.Phone, "Called back", now),
                Step.Escalate e => new Commands.Escalating.EscalateCase(id, e.ToLevel, e.Reason, now),
                Step.Deescalate d => new Commands.Escalating.DeescalateCase(id, d.ToLevel, d.Reason, now),
                Step.ChangePriority p => new Commands.ChangingPriority.ChangePriority(id, p.To, null, now),
                Step.Resolve r => new Commands.Resolving.ResolveCase(id, r.Code, "Filled", now),
                Step.Close => new Commands.Closing.CloseCase(id, now),
                Step.Reopen r => new Commands.Reopening.ReopenCase(id, r.Reason, r.Window, now),
                Step.Cancel c => new Commands.Cancelling.CancelCase(id, c.Reason, now),
                Step.MarkDuplicate m => new Commands.MarkingDuplicate.MarkDuplicate(id, new CaseId(m.Original), null, now),
                Step.Link { AsParent: true } l => new Commands.Linking.LinkParentCase(id, new CaseId(l.Other), [], now),
                Step.Link l => new Commands.Linking.LinkChildCase(id, new CaseId(l.Other), [], now),
                Step.Feedback f => new Commands.RecordingFeedback.RecordFeedback(id, f.Satisfaction, null, now),
                _ => throw new ArgumentException($"No product command for {step}.", nameof(step)),
            };
            return ToAnswer(await _handler.HandleAsync(command, Context(agency), Ct), null);
        }

        private static Answer ToAnswer(CaseCommandResult result, (string Id, string Number)? receiving) => result switch
        {
            CaseCommandResult.Accepted a => new Answer(null, null, a.Events, receiving, result.ToString()),
            CaseCommandResult.Rejected r => new Answer(r.Rejection.Code, r.Rejection, [], null, r.Rejection.Message),
            _ => new Answer("unexpected", null, [], null, result.ToString()),
        };

        /// <summary>Sends one step, compares the answer and the streams it touched with the model, and commits the model.</summary>
        public async Task CheckAsync(string because, string agency, string caseId, Step? step, Outcome expected, Func<Task<Answer>> send)
        {
            var answer = await send();
            Seen.Add(answer.Code ?? (answer.Events.Count == 0 ? "no-op" : "accepted"));
            if (expected.Accepted)
            {
                Assert.True(answer.Code is null, $"{because}: the docs accept it ({Describe(expected.Sent ?? Model.Find(agency, caseId))}), the product answered {answer.Code}: {answer.Raw}");
                var own = expected.Appends.FirstOrDefault(a => a.Stream == LifecycleModel.Key(agency, caseId)).Events ?? [];
                Assert.True(own.SequenceEqual(answer.Events.Select(EventName)),
                    $"{because}: expected [{string.Join(", ", own)}] in the answer, got [{string.Join(", ", answer.Events.Select(EventName))}]");
                expected.Commit(answer.Receiving);
                foreach (var touched in Touched(agency, caseId, step, answer))
                {
                    _reached.Add(touched.Status.ToString());
                }
            }
            else
            {
                Assert.True(answer.Code is not null && expected.Codes!.Contains(answer.Code),
                    $"{because}: the docs refuse it with {string.Join(" or ", expected.Codes!)} ({Describe(expected.Sent)}), the product answered {answer.Code ?? "accepted"}: {answer.Raw}");
                if (answer.Rejection is { } rejection)
                {
                    CheckPlainWords(because, rejection, expected, caseId, step);
                }
            }

            foreach (var touched in Touched(agency, caseId, step, answer))
            {
                await CheckStreamAsync(because, touched);
            }
        }

        /// <summary>A refusal names the refused command, and the case as the caller knows it: its number and status, or the id that is not there.</summary>
        private static void CheckPlainWords(string because, CaseRejection rejection, Outcome expected, string caseId, Step? step)
        {
            if (step is not null)
            {
                Assert.Equal(ActionOf(step), rejection.Action);
            }

            if (rejection.Code == LifecycleModel.NotFound)
            {
                var missing = expected.Sent is null ? caseId : expected.MissingOther!;
                Assert.True(rejection.Message.Contains($"case {missing} does not exist", StringComparison.Ordinal), $"{because}: '{rejection.Message}' does not name case {missing}");
                return;
            }

            var sent = expected.Sent!;
            Assert.True(rejection.Message.StartsWith($"case {sent.Number} is {sent.Status}", StringComparison.Ordinal) && rejection.Message.Contains($" {rejection.Action} ", StringComparison.Ordinal),
                $"{because}: '{rejection.Message}' does not start by naming case {sent.Number}, its status {sent.Status} and {rejection.Action}");
        }

        private static string ActionOf(Step step) => step switch
        {
            Step.Assign => "Assign",
            Step.Unassign => "Unassign",
            Step.StartWork => "StartWork",
            Step.RequestInformation => "RequestInformation",
            Step.InformationReceived => "RecordInformationReceived",
            Step.AddNote => "AddNote",
            Step.RecordContact => "RecordContact",
            Step.Escalate => "Escalate",
            Step.Deescalate => "Deescalate",
            Step.ChangePriority => "ChangePriority",
            Step.Transfer => "Transfer",
            Step.Resolve => "Resolve",
            Step.Close => "Close",
            Step.Reopen => "Reopen",
            Step.Cancel => "Cancel",
            Step.MarkDuplicate => "MarkDuplicate",
            Step.Link { AsParent: true } => "LinkParent",
            Step.Link => "LinkChild",
            Step.Feedback => "RecordFeedback",
            _ => step.ToString(),
        };

        private IEnumerable<ModelCase> Touched(string agency, string caseId, Step? step, Answer answer)
        {
            var ids = new List<(string Agency, string Id)> { (agency, caseId) };
            switch (step)
            {
                case Step.MarkDuplicate m:
                    ids.Add((agency, m.Original));
                    break;
                case Step.Link l:
                    ids.Add((agency, l.Other));
                    break;
                case Step.Transfer t when answer.Receiving is { } r:
                    ids.Add((t.ToAgency, r.Id));
                    break;
            }

            return ids.Select(i => Model.Find(i.Agency, i.Id)).OfType<ModelCase>();
        }

        private static readonly EventCase.EventStore.Serialization.EventTypeRegistry Registry = CaseEvents.CreateRegistry();

        private static string EventName(CaseEvent e) => Registry.GetName(e.GetType());

        private static string Describe(ModelCase? c) => c is null ? "no such case" :
            $"case {c.Number} {c.Status}, level {c.Level}, {c.Priority}, team {c.Team ?? "-"}, parent {c.Parent ?? "-"}, children [{string.Join(" ", c.Children)}], duplicates [{string.Join(" ", c.Duplicates)}], feedback {c.FeedbackForThisResolution}, events {c.Events.Count}";

        /// <summary>The case's stream holds exactly the model's events, and its folded state (from snapshots too) is the model's.</summary>
        private async Task CheckStreamAsync(string because, ModelCase c)
        {
            var stream = CaseStreams.For(new AgencyId(c.Agency), new CaseId(c.Id));
            var names = new List<string>();
            await foreach (var e in Store.ReadStreamAsync(stream, ReadStreamOptions.All, Ct))
            {
                names.Add(e.EventType);
            }

            Assert.True(c.Events.SequenceEqual(names), $"{because}: case {c.Number} holds [{string.Join(", ", names)}], the model [{string.Join(", ", c.Events)}]");
            var state = Assert.IsType<OpenedCase>((await _handler.LoadStateAsync(new AgencyId(c.Agency), new CaseId(c.Id), Ct)).State);
            Assert.Equal(
                (c.Status, c.Priority, c.Level, c.Team, c.Agent, c.ReopenCount, c.ResolvedAt, c.FeedbackForThisResolution, c.Parent, c.DuplicateOf, c.TransferredTo, c.LastAt),
                (state.Status, state.Priority, state.EscalationLevel, state.Assignment?.Team.Value, state.Assignment?.Agent?.Value, state.ReopenCount,
                    state.Resolution?.At, state.Satisfaction is not null, state.Parent?.Value, state.DuplicateOf?.Value, state.TransferredTo?.Value, state.LastChangedAt));
            Assert.Equal(c.Children, state.Children.Select(x => x.Value));
            Assert.Equal(c.Duplicates, state.Duplicates.Select(x => x.Value));
        }

        /// <summary>Every read model's rows of every case, after the async projections caught up, against the model and the events.</summary>
        public async Task CheckEveryReadModelAsync(string because)
        {
            foreach (var tester in _testers)
            {
                await tester.CatchUpAsync(Ct);
            }

            var summaries = await RowsAsync<CaseSummaryRow>("case_summary");
            var queue = await RowsAsync<CaseSummaryRow>("work_queue");
            var queued = await ColumnAsync("SELECT tenant_id, row_key, queued::text FROM {0}.work_queue");
            var numbers = await ColumnAsync("SELECT tenant_id, case_number, row_key FROM {0}.case_numbers");
            var clocks = await RowsAsync<SlaClockRow>("sla_clocks");
            var facts = await RowsAsync<CaseFactsRow>("case_facts");
            var audit = await ListsAsync("SELECT tenant_id, row_key, event_type FROM {0}.audit_entries ORDER BY tenant_id, row_key, stream_version");
            var intervals = await ListsAsync("SELECT tenant_id, row_key, opened_until::text FROM {0}.case_open_intervals ORDER BY tenant_id, row_key, opened_from");
            Assert.Equal(Model.Cases.Count(), summaries.Count);
            foreach (var c in Model.Cases)
            {
                var key = (c.Agency, c.Id);
                var about = $"{because}, case {c.Number} ({c.Status})";
                var events = new List<CaseEvent>();
                await foreach (var e in Store.ReadStreamAsync(CaseStreams.For(new AgencyId(c.Agency), new CaseId(c.Id)), ReadStreamOptions.All, Ct))
                {
                    events.Add((CaseEvent)e.Data);
                }

                var timeline = SlaTimeline.FromHistory(events);
                var sla = SlaClock.Compute(((CaseOpened)events[0]).Sla, _calendars.HistoryFor(c.Agency), timeline, events[^1].At);
                var expectedPauses = Normalized(c.Pauses.Select(p => (p.Start, p.End)), c.StoppedAt);

                var summary = summaries[key];
                Assert.True(
                    (c.Number, c.Status, c.Priority, c.Level, c.Team, c.Agent, c.ReopenCount, c.ResolvedAt, c.ClosedAt, c.TransferredTo, c.TransferredToNumber,
                        c.TransferredFromAgency, c.TransferredFromNumber, c.DuplicateOf, (long)c.Events.Count, c.LastAt, c.OpenedAt)
                    == (summary.CaseNumber, summary.Status, summary.Priority, summary.EscalationLevel, summary.Team, summary.Assignee, summary.ReopenCount,
                        summary.ResolvedAt, summary.ClosedAt, summary.TransferredTo, summary.TransferredToNumber, summary.TransferredFromAgency,
                        summary.TransferredFromNumber, summary.DuplicateOf, summary.Version, summary.UpdatedAt, summary.OpenedAt),
                    $"{about}: the summary {summary} is not the model's {Describe(c)}");
                Assert.True(c.StoppedAt == summary.Sla.StoppedAt && expectedPauses.SequenceEqual(Normalized(summary.Sla.Pauses.Select(p => (p.Start, p.End)), summary.Sla.StoppedAt)),
                    $"{about}: the summary's SLA timeline {summary.Sla} is not the model's (pauses {string.Join(", ", expectedPauses)}, stopped {c.StoppedAt})");
                Assert.Equal((sla.Due, sla.BreachedAt), (summary.SlaDue, summary.SlaBreachedAt));

                // The queue keeps every case that is not final, queued while open.
                Assert.True(LifecycleModel.IsFinal(c.Status) != queue.ContainsKey(key), $"{about}: {(queue.ContainsKey(key) ? "has" : "lacks")} a work queue row");
                if (!LifecycleModel.IsFinal(c.Status))
                {
                    Assert.Equal(LifecycleModel.IsOpen(c.Status) ? "true" : "false", queued[key]);
                    Assert.Equal(JsonSerializer.Serialize(summary, Store.Serializer.Options), JsonSerializer.Serialize(queue[key], Store.Serializer.Options));
                }

                Assert.Equal(c.Id, numbers[(c.Agency, c.Number)]);

                var clock = clocks[key];
                Assert.True(
                    c.StoppedAt == clock.Sla.StoppedAt && expectedPauses.SequenceEqual(Normalized(clock.Sla.Pauses.Select(p => (p.Start, p.End)), clock.Sla.StoppedAt))
                    && (LifecycleModel.IsFinal(c.Status) || clock.Paused == (c.Status is CaseStatus.AwaitingCitizen or CaseStatus.Resolved))
                    && (sla.Due, sla.BreachedAt) == (clock.Due, clock.BreachedAt),
                    $"{about}: the SLA clock {clock} is not the model's (pauses {string.Join(", ", expectedPauses)}, stopped {c.StoppedAt}) or the events' (due {sla.Due}, breached {sla.BreachedAt})");

                Assert.True(c.Events.SequenceEqual(audit.GetValueOrDefault(key, [])), $"{about}: the audit trail lists [{string.Join(", ", audit.GetValueOrDefault(key, []))}]");

                var fact = facts[key];
                Assert.True(
                    (c.Status, c.ReopenCount, c.FirstResolvedAt, c.LastSatisfaction, c.OpenSince, c.OpenIntervals)
                    == (fact.Case.Status, fact.Case.ReopenCount, fact.FirstResolvedAt, fact.Satisfaction, fact.OpenSince, intervals.GetValueOrDefault(key, []).Count),
                    $"{about}: the statistics' facts {fact} with {intervals.GetValueOrDefault(key, []).Count} open intervals are not the model's {c.OpenSince} {c.OpenIntervals}");
            }
        }

        /// <summary>The invariants of links, merges and transfers over every case stream of the run (see the concurrent test); returns the kinds of events written.</summary>
        public async Task<HashSet<Type>> CheckFactsSpanningTwoCasesAsync(string because)
        {
            var streams = new List<(string Agency, string Id)>();
            await using (var command = Store.DataSource.CreateCommand($"SELECT tenant_id, stream_id FROM {_schema}.streams WHERE NOT starts_with(stream_id, '$')"))
            await using (var reader = await command.ExecuteReaderAsync(Ct))
            {
                while (await reader.ReadAsync(Ct))
                {
                    streams.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            var histories = new Dictionary<(string Agency, string Id), List<CaseEvent>>();
            foreach (var stream in streams)
            {
                var events = new List<CaseEvent>();
                await foreach (var e in Store.ReadStreamAsync(CaseStreams.For(new AgencyId(stream.Agency), new CaseId(stream.Id)), ReadStreamOptions.All, Ct))
                {
                    events.Add((CaseEvent)e.Data);
                }

                histories[stream] = events;
            }

            List<CaseEvent> Of(string agency, CaseId id) => histories.GetValueOrDefault((agency, id.Value)) ?? [];
            foreach (var ((agency, id), events) in histories)
            {
                var about = $"{because}, case {id}";
                var parents = events.OfType<Commands.Linking.ParentCaseLinked>().Select(e => e.ParentCaseId).ToList();
                Assert.True(parents.Distinct().Count() <= 1, $"{about} has parents {string.Join(", ", parents)}");
                foreach (var linked in events.OfType<Commands.Linking.ParentCaseLinked>())
                {
                    Assert.Single(Of(agency, linked.ParentCaseId).OfType<Commands.Linking.ChildCaseLinked>(), e => e.ChildCaseId.Value == id);
                }

                foreach (var linked in events.OfType<Commands.Linking.ChildCaseLinked>())
                {
                    Assert.Single(Of(agency, linked.ChildCaseId).OfType<Commands.Linking.ParentCaseLinked>(), e => e.ParentCaseId.Value == id);
                }

                var above = new List<CaseId>();
                for (var parent = parents.FirstOrDefault(); parent is not null && !above.Contains(parent);
                     parent = Of(agency, parent).OfType<Commands.Linking.ParentCaseLinked>().FirstOrDefault()?.ParentCaseId)
                {
                    above.Add(parent);
                }

                Assert.True(!above.Any(a => a.Value == id), $"{about} descends from itself: {string.Join(" → ", above)}");

                foreach (var marked in events.OfType<Commands.MarkingDuplicate.CaseMarkedDuplicate>())
                {
                    var original = Of(agency, marked.OriginalCaseId);
                    var merged = original.FindIndex(e => e is Commands.MarkingDuplicate.DuplicateCaseMerged m && m.DuplicateCaseId.Value == id);
                    Assert.True(merged >= 0, $"{about} was marked a duplicate of {marked.OriginalCaseId}, which does not record it");
                    Assert.False(original.Take(merged).Any(e => e is Commands.Cancelling.CaseCancelled or Commands.MarkingDuplicate.CaseMarkedDuplicate or Commands.Transferring.CaseTransferred),
                        $"{about} was merged into {marked.OriginalCaseId}, which no longer carried on");
                }

                var firstMerge = events.FindIndex(e => e is Commands.MarkingDuplicate.DuplicateCaseMerged);
                if (firstMerge >= 0)
                {
                    Assert.False(events.Skip(firstMerge).Any(e => e is Commands.Cancelling.CaseCancelled or Commands.MarkingDuplicate.CaseMarkedDuplicate),
                        $"{about} carries duplicates and was cancelled or merged afterwards");
                }

                foreach (var transferred in events.OfType<Commands.Transferring.CaseTransferred>())
                {
                    var receiving = Assert.IsType<CaseOpened>(Of(transferred.ToAgency.Value, transferred.ToCaseId!).FirstOrDefault());
                    Assert.Equal(new Commands.Transferring.TransferredFrom(new AgencyId(agency), new CaseId(id), receiving.TransferredFrom!.Number), receiving.TransferredFrom);
                }

                Assert.True(events.Count(e => e.GetType().Name is nameof(Commands.Closing.CaseClosed) or nameof(Commands.Cancelling.CaseCancelled)
                    or nameof(Commands.MarkingDuplicate.CaseMarkedDuplicate) or nameof(Commands.Transferring.CaseTransferred)) <= 1, $"{about} ended twice");
            }

            return histories.Values.SelectMany(h => h).Select(e => e.GetType()).ToHashSet();
        }

        /// <summary>Pauses as stretches of time, adjacent ones joined, one the stop ended closed at the stop.</summary>
        private static List<(Instant Start, Instant? End)> Normalized(IEnumerable<(Instant Start, Instant? End)> pauses, Instant? stoppedAt)
        {
            var joined = new List<(Instant Start, Instant? End)>();
            foreach (var (start, end) in pauses.Select(p => (p.Start, p.End ?? stoppedAt)).OrderBy(p => p.Start))
            {
                if (joined.Count > 0 && joined[^1].End is { } last && last >= start)
                {
                    joined[^1] = (joined[^1].Start, end is null ? null : Instant.Max(last, end.Value));
                }
                else
                {
                    joined.Add((start, end));
                }
            }

            return joined;
        }

        /// <summary>Every case's rows, folded again from its events alone, are the rows built live.</summary>
        public async Task CheckStreamRebuildsChangeNothingAsync(string because)
        {
            foreach (var c in Model.Cases)
            {
                var results = await Store.Projections.RebuildStreamAsync(CaseStreams.For(new AgencyId(c.Agency), new CaseId(c.Id)), new StreamRebuildOptions { DryRun = true }, Ct);
                Assert.Equal(6, results.Count);
                Assert.All(results, r => Assert.False(r.Changed, $"{because}: case {c.Number}'s {r.Projection} rows differ from a fold of its events ({r})"));
            }
        }

        /// <summary>Every projection rebuilt from the whole log gives exactly the rows it built live.</summary>
        public async Task CheckWholeRebuildsGiveTheLiveRowsAsync(string because)
        {
            var live = await DumpAsync();
            await ProjectionTester.RebuildTogetherAsync(_testers, Ct);
            foreach (var tester in _testers)
            {
                await tester.CatchUpAsync(Ct);
            }

            var rebuilt = await DumpAsync();
            foreach (var (table, rows) in live)
            {
                Assert.True(rows.Count > 0, $"{because}: {table} is empty");
                var differences = rows.Except(rebuilt[table]).Concat(rebuilt[table].Except(rows)).Take(4).ToList();
                Assert.True(rows.SequenceEqual(rebuilt[table]), $"{because}: {table} rebuilt differs from the live rows: {string.Join(Environment.NewLine, differences)}");
            }
        }

        private static readonly string[] Tables =
            ["case_numbers", "case_summary", "work_queue", "sla_clocks", "audit_trail", "audit_entries", "case_facts", "case_open_intervals"];

        private async Task<Dictionary<string, List<string>>> DumpAsync()
        {
            var dump = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var table in Tables)
            {
                // Entry ids are the tables' identity column, numbered afresh by a rebuild; everything else must be the same.
                dump[table] = (await ListsAsync($"SELECT '', '', (to_jsonb(t) - 'entry_id')::text AS r FROM {{0}}.{table} t ORDER BY r"))
                    .GetValueOrDefault((string.Empty, string.Empty), []);
            }

            return dump;
        }

        private async Task<Dictionary<(string, string), T>> RowsAsync<T>(string table)
        {
            var rows = new Dictionary<(string, string), T>();
            await using var command = Store.DataSource.CreateCommand($"SELECT tenant_id, row_key, row_data::text FROM {_schema}.{table}");
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                rows.Add((reader.GetString(0), reader.GetString(1)), JsonSerializer.Deserialize<T>(reader.GetString(2), Store.Serializer.Options)!);
            }

            return rows;
        }

        private async Task<Dictionary<(string, string), string>> ColumnAsync(string sql) =>
            (await ListsAsync(sql)).ToDictionary(p => p.Key, p => Assert.Single(p.Value));

        private async Task<Dictionary<(string, string), List<string>>> ListsAsync(string sql)
        {
            var rows = new Dictionary<(string, string), List<string>>();
            await using var command = Store.DataSource.CreateCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, _schema));
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!rows.TryGetValue(key, out var list))
                {
                    rows[key] = list = [];
                }

                list.Add(reader.GetString(2));
            }

            return rows;
        }
    }
}

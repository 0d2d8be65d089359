using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.Tests.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;

namespace EventCase.Cases.Tests.Linking;

/// <summary>Links through the handler: one command, both cases recorded at once, from whichever side it is sent.</summary>
public sealed class LinkingHandlerTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_link_sent_to_the_parent_records_the_parent_on_the_child_in_the_same_append()
    {
        var agency = NewAgency();
        var parent = await OpenCaseAsync(agency);
        var child = await OpenCaseAsync(agency);

        var result = await Handler().HandleAsync(new LinkChildCase(parent, child, [], Later(1)), Agent(agency), Ct);

        var accepted = Assert.IsType<CaseCommandResult.Accepted>(result);
        Assert.Equal(new ChildCaseLinked(parent, child, Later(1)), Assert.Single(accepted.Events));
        var childEvents = await ReadAsync(agency, child);
        Assert.Equal(new ParentCaseLinked(child, parent, Later(1)), childEvents[^1].Data);
    }

    [Fact]
    public async Task Two_parents_linking_the_same_child_at_once_leave_it_under_exactly_one()
    {
        var agency = NewAgency();
        var first = await OpenCaseAsync(agency);
        var second = await OpenCaseAsync(agency);
        var child = await OpenCaseAsync(agency);
        using var bothDecided = new Barrier(2);
        var options = new CaseCommandHandlerOptions { BeforeAppend = (_, attempt, ct) => attempt == 1 ? Task.Run(() => bothDecided.SignalAndWait(ct), ct) : Task.CompletedTask };

        var results = await Task.WhenAll(
            Handler(options).HandleAsync(new LinkChildCase(first, child, [], Later(1)), Agent(agency), Ct),
            Handler(options).HandleAsync(new LinkChildCase(second, child, [], Later(1)), Agent(agency), Ct));

        Assert.Single(results, r => r is CaseCommandResult.Accepted);
        var rejected = Assert.IsType<CaseCommandResult.Rejected>(Assert.Single(results, r => r is CaseCommandResult.Rejected));
        var refusal = Assert.IsType<InvalidCaseLink>(rejected.Rejection);
        Assert.Equal(CaseLinkProblem.AlreadyHasParent, refusal.Problem);
        Assert.Equal("LinkChild", refusal.Action);
        Assert.Equal(child, refusal.OtherCase);
        Assert.Matches(@"^case BOS-2026-\d{6} is Open; LinkChild is refused by the other case of the link: case BOS-2026-\d{6} is Open; LinkParent needs a case without a parent, and it is already a child of case ", refusal.Message);
        var childState = (OpenedCase)CaseState.Fold((await ReadAsync(agency, child)).Select(e => (CaseEvent)e.Data));
        var parents = new List<CaseId>();
        foreach (var candidate in new[] { first, second })
        {
            if (((OpenedCase)CaseState.Fold((await ReadAsync(agency, candidate)).Select(e => (CaseEvent)e.Data))).Children.Contains(child))
            {
                parents.Add(candidate);
            }
        }

        Assert.Equal([childState.Parent!], parents);
    }

    [Fact]
    public async Task Two_links_made_at_once_that_would_close_a_loop_of_four_cases_leave_no_case_under_its_own_descendant()
    {
        // v is x's child and y is u's child. "x under y" and "u under v", made at once, would close the loop
        // x → y → u → v → x: each touches two cases the other does not, and each parent's ancestry (y → u, v → x) was
        // fine when read. While the first is about to append, the second runs; it must not decide on the ancestry the
        // first is changing.
        var agency = NewAgency();
        var (x, y, u, v) = (await OpenCaseAsync(agency), await OpenCaseAsync(agency), await OpenCaseAsync(agency), await OpenCaseAsync(agency));
        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new LinkParentCase(v, x, [], Later(1)), Agent(agency), Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new LinkParentCase(y, u, [], Later(2)), Agent(agency), Ct));
        Task<CaseCommandResult>? second = null;
        var options = new CaseCommandHandlerOptions
        {
            BeforeAppend = async (_, attempt, ct) =>
            {
                if (attempt == 1 && second is null)
                {
                    second = Handler().HandleAsync(new LinkParentCase(u, v, [], Later(3)), Agent(agency), ct);
                    await FinishedOrWaitingOnALockAsync(second, ct);
                }
            },
        };

        var first = await Handler(options).HandleAsync(new LinkParentCase(x, y, [], Later(3)), Agent(agency), Ct);
        var results = new[] { first, await second! };

        Assert.Single(results, r => r is CaseCommandResult.Accepted);
        var refused = Assert.IsType<CaseCommandResult.Rejected>(Assert.Single(results, r => r is CaseCommandResult.Rejected));
        Assert.Equal(CaseLinkProblem.Cycle, Assert.IsType<InvalidCaseLink>(refused.Rejection).Problem);
        foreach (var start in new[] { x, y, u, v })
        {
            var above = new List<CaseId>();
            for (var at = await StateAsync(agency, start); at.Parent is { } parent && !above.Contains(parent); at = await StateAsync(agency, parent))
            {
                above.Add(parent);
            }

            Assert.DoesNotContain(start, above);
        }
    }

    [Fact]
    public async Task A_case_cannot_be_linked_under_its_own_descendant_however_deep_the_descendant_is()
    {
        // A chain of 102 cases, each the child of the one before: the last one's ancestry is 101 cases long. The links
        // are stored as the handler stores them (both sides), without deciding each one.
        var agency = NewAgency();
        var chain = new List<CaseId> { await OpenCaseAsync(agency) };
        for (var i = 1; i < 102; i++)
        {
            chain.Add(await OpenCaseAsync(agency));
            await Store.AppendToStreamsAsync(
            [
                new StreamAppend(CaseStreams.For(agency, chain[i]), CaseStreams.StreamType, ExpectedVersion.Any,
                    [new NewEvent(Guid.NewGuid(), new ParentCaseLinked(chain[i], chain[i - 1], Later(i)), new EventMetadata("agent-7", "agent"))]),
                new StreamAppend(CaseStreams.For(agency, chain[i - 1]), CaseStreams.StreamType, ExpectedVersion.Any,
                    [new NewEvent(Guid.NewGuid(), new ChildCaseLinked(chain[i - 1], chain[i], Later(i)), new EventMetadata("agent-7", "agent"))]),
            ], Ct);
        }

        var result = await Handler().HandleAsync(new LinkParentCase(chain[0], chain[^1], [], Later(200)), Agent(agency), Ct);

        var refused = Assert.IsType<CaseCommandResult.Rejected>(result);
        Assert.Equal(CaseLinkProblem.Cycle, Assert.IsType<InvalidCaseLink>(refused.Rejection).Problem);
        Assert.Null((await StateAsync(agency, chain[0])).Parent);
    }

    [Fact]
    public async Task A_link_sent_again_with_its_idempotency_key_appends_nothing_on_either_case()
    {
        var agency = NewAgency();
        var parent = await OpenCaseAsync(agency);
        var child = await OpenCaseAsync(agency);
        var handler = Handler();
        var context = Agent(agency) with { IdempotencyKey = "link-1" };
        var link = new LinkParentCase(child, parent, [], Later(1));

        var first = Assert.IsType<CaseCommandResult.Accepted>(await handler.HandleAsync(link, context, Ct));
        var retry = Assert.IsType<CaseCommandResult.AlreadyApplied>(await handler.HandleAsync(link, context, Ct));

        Assert.Equal(first.Version, retry.Version);
        Assert.Single(await ReadAsync(agency, child), e => e.Data is ParentCaseLinked);
        Assert.Single(await ReadAsync(agency, parent), e => e.Data is ChildCaseLinked);
    }

    [Fact]
    public async Task One_key_used_to_link_two_children_to_the_same_parent_records_both_on_the_parent()
    {
        var agency = NewAgency();
        var parent = await OpenCaseAsync(agency);
        var first = await OpenCaseAsync(agency);
        var second = await OpenCaseAsync(agency);
        var context = Agent(agency) with { IdempotencyKey = "same-key" };

        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new LinkParentCase(first, parent, [], Later(1)), context, Ct));
        Assert.IsType<CaseCommandResult.Accepted>(await Handler().HandleAsync(new LinkParentCase(second, parent, [], Later(2)), context, Ct));

        var parentState = (OpenedCase)CaseState.Fold((await ReadAsync(agency, parent)).Select(e => (CaseEvent)e.Data));
        Assert.Equal([first, second], parentState.Children);
        Assert.Single(await ReadAsync(agency, second), e => e.Data is ParentCaseLinked);
    }

    [Fact]
    public async Task A_link_to_a_case_that_does_not_exist_is_rejected_naming_it_and_appends_nothing()
    {
        var agency = NewAgency();
        var parent = await OpenCaseAsync(agency);
        var missing = NewCaseId();

        var result = await Handler().HandleAsync(new LinkChildCase(parent, missing, [], Later(1)), Agent(agency), Ct);

        var rejected = Assert.IsType<CaseCommandResult.Rejected>(result);
        Assert.Equal(missing.Value, Assert.IsType<CaseNotFound>(rejected.Rejection).CaseLabel);
        Assert.Single(await ReadAsync(agency, parent));
        Assert.Empty(await ReadAsync(agency, missing));
    }

    private async Task<OpenedCase> StateAsync(AgencyId agency, CaseId caseId) =>
        (OpenedCase)CaseState.Fold((await ReadAsync(agency, caseId)).Select(e => (CaseEvent)e.Data));

    /// <summary>Waits until <paramref name="command"/> has finished, or waits itself on an advisory lock of this database.</summary>
    private async Task FinishedOrWaitingOnALockAsync(Task command, CancellationToken cancellationToken)
    {
        while (!command.IsCompleted)
        {
            await using var waiting = DataSource.CreateCommand(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()");
            if ((long)(await waiting.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                return;
            }

            await Task.Delay(10, cancellationToken);
        }
    }
}

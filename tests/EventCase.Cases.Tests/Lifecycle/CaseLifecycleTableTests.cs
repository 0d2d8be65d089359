using EventCase.Cases.Lifecycle;
using EventCase.Cases.Tests.Support;

namespace EventCase.Cases.Tests.Lifecycle;

/// <summary>
/// Every command in every status, checked against the table in docs/case-lifecycle.md: the doc is the specification
/// and this test keeps it honest.
/// </summary>
public sealed class CaseLifecycleTableTests
{
    private static readonly Lazy<IReadOnlyDictionary<(string Action, CaseStatus Status), string>> Table = new(ReadTable);

    public static TheoryData<string, CaseStatus> EveryCommandInEveryStatus()
    {
        var data = new TheoryData<string, CaseStatus>();
        foreach (var action in CaseFixtures.CommandsByAction.Keys)
        {
            foreach (var status in CaseStatuses.All)
            {
                data.Add(action, status);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCommandInEveryStatus))]
    public void Each_command_in_each_status_does_what_the_lifecycle_table_says(string action, CaseStatus status)
    {
        var history = CaseFixtures.HistoryFor(status);
        var state = CaseState.Fold(history);
        Assert.Equal(status, state.Status);

        var cell = Table.Value[(action, status)];
        var decision = CaseDecider.Decide(CaseFixtures.CommandsByAction[action], state);
        var after = CaseDecider.Fold(state, decision.Events);

        if (cell == "✗")
        {
            Assert.True(decision.IsRejected, $"{action} in {status} should be rejected but produced {decision}");
            var rejection = decision.Rejection!;
            Assert.Equal(status, rejection.Status);
            Assert.Equal(action, rejection.Action);
            Assert.Contains(status == CaseStatus.NotOpened ? CaseFixtures.Id.Value : CaseFixtures.Number.Value, rejection.Message, StringComparison.Ordinal);
            Assert.Contains(action, rejection.Message, StringComparison.Ordinal);
            if (status != CaseStatus.NotOpened)
            {
                Assert.Contains($"is {status}", rejection.Message, StringComparison.Ordinal);
            }
        }
        else if (cell == "✓")
        {
            Assert.True(decision.IsAccepted, $"{action} in {status} should be accepted but: {decision.Rejection}");
            Assert.NotEmpty(decision.Events);
            Assert.Equal(status, after.Status);
        }
        else
        {
            Assert.StartsWith("→ ", cell, StringComparison.Ordinal);
            Assert.True(decision.IsAccepted, $"{action} in {status} should be accepted but: {decision.Rejection}");
            Assert.NotEmpty(decision.Events);
            Assert.Equal(Enum.Parse<CaseStatus>(cell[2..]), after.Status);
        }
    }

    [Fact]
    public void The_table_has_a_row_for_every_command_the_decider_knows_and_a_column_for_every_status()
    {
        var commandTypes = typeof(CaseCommand).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(CaseCommand)))
            .ToHashSet();
        Assert.Equal(commandTypes, CaseFixtures.CommandsByAction.Values.Select(c => c.GetType()).ToHashSet());

        var rows = Table.Value.Keys.Select(k => k.Action).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(CaseFixtures.CommandsByAction.Keys.Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));
        Assert.Equal(rows.Count * CaseStatuses.All.Count, Table.Value.Count);
    }

    [Fact]
    public void Only_the_final_statuses_reject_everything_but_notes_contacts_links_feedback_and_merged_duplicates()
    {
        var annotations = new[] { "AddNote", "RecordContact", "LinkParent", "LinkChild", "RecordFeedback", "MergeDuplicate" };
        foreach (var status in CaseStatuses.All.Where(s => s.IsFinal()))
        {
            var allowed = Table.Value.Where(kv => kv.Key.Status == status && kv.Value != "✗").Select(kv => kv.Key.Action);
            Assert.All(allowed, action => Assert.Contains(action, annotations));
        }
    }

    private static IReadOnlyDictionary<(string Action, CaseStatus Status), string> ReadTable()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "case-lifecycle.md"));
        var header = Array.FindIndex(lines, l => l.StartsWith("| command \\ status", StringComparison.Ordinal));
        Assert.True(header >= 0, "docs/case-lifecycle.md has no '| command \\ status' table");
        var statuses = Cells(lines[header]).Skip(1).Select(Enum.Parse<CaseStatus>).ToArray();
        var table = new Dictionary<(string, CaseStatus), string>();
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = Cells(line);
            for (var i = 0; i < statuses.Length; i++)
            {
                table.Add((cells[0], statuses[i]), cells[i + 1]);
            }
        }

        return table;
    }

    private static string[] Cells(string line) =>
        line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventCase.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (EventCase.sln) above " + AppContext.BaseDirectory);
    }
}

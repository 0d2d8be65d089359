using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Projections;
using EventCase.EventStore.Projections.Testing;
using EventCase.EventStore.Serialization;
using EventCase.Testing;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>
/// A database of its own with one read model registered, the <see cref="ScriptedCases"/> appended and the projection
/// caught up (once per test class).
/// </summary>
public abstract class ScriptedStoreFixture : DatabaseFixture
{
    private ProjectionTester? _tester;

    public ProjectionTester Tester => _tester ?? throw new InvalidOperationException("Not initialized.");

    public static EventTypeRegistry Registry() => new EventTypeRegistry().RegisterAll(CaseEventTypes.All);

    /// <summary>Golden files show instants as they are (they are scripted, not volatile); GUIDs are scrubbed.</summary>
    public GoldenSettings Golden()
    {
        var settings = new GoldenSettings { SerializerOptions = Tester.Store.Serializer.Options };
        settings.Scrubbers.Remove(GoldenScrubber.Instants);
        return settings;
    }

    protected abstract Projection CreateProjection();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        _tester = await ProjectionTester.CreateAsync(DataSource, Registry(), CreateProjection(), cancellationToken: cancellationToken);
        foreach (var (caseId, @event, metadata) in ScriptedCases.Events)
        {
            await _tester.AppendAsync(ScriptedCases.Stream(caseId), metadata, @event);
        }

        await _tester.CatchUpAsync(cancellationToken);
    }
}

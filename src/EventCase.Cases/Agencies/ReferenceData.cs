using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Routing;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using Npgsql;

namespace EventCase.Cases.Agencies;

/// <summary>A reference-data stream folded to its current value, with its version (the ETag of admin routes).</summary>
/// <typeparam name="T">The folded value.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Version">The stream version; 0 when nothing was ever stored.</param>
/// <param name="EventIds">Ids of the stored events (to recognise a retried idempotent write).</param>
public sealed record Versioned<T>(T Value, long Version, IReadOnlySet<Guid> EventIds);

/// <summary>
/// The per-agency reference data behind case intake: the service catalog, the routing table and the business calendar.
/// Each lives in an event stream of the agency (tenant) — <c>$catalog</c>, <c>$routing</c>, <c>$calendar</c> — whose
/// ids cannot clash with case ids (the API accepts no case id starting with <c>$</c>). Every read checks the streams'
/// versions in the database and refolds a stream only when it moved, so every node sees every change at once; calendars are also cached for synchronous use by SLA computations. Thread safe.
/// </summary>
/// <param name="store">The event store, asked for on every use: a host creates this reader before its database is
/// started, and the store exists only afterwards.</param>
/// <param name="calendars">The calendar cache this reader keeps up to date.</param>
public sealed class ReferenceData(Func<PostgresEventStore> store, CalendarCache calendars)
{
    // Folded catalogs and routing tables by (agency, stream), each with the stream version it was folded at.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Agency, string Stream), object> _folded = new();

    /// <summary>The catalog stream id.</summary>
    public const string CatalogStream = "$catalog";

    /// <summary>The routing stream id.</summary>
    public const string RoutingStream = "$routing";

    // Read together at every use, to see at once a change any node made. The calendar's version comes along for free:
    // an intake that finds it moved reloads the calendars before the case opens on them.
    private static readonly string[] ReferenceStreams = [CatalogStream, RoutingStream, CalendarStream];

    private readonly WriteCombiner<AgencyId, IReadOnlyDictionary<string, long>> _versionChecks = new(
        async (agency, cancellationToken) => (await ReadVersionsAsync(store, [agency], cancellationToken))[0](),
        agencies => ReadVersionsAsync(store, agencies, CancellationToken.None),
        static (_, _) => false,
        static _ => 1,
        maxWeight: int.MaxValue,
        maxBatch: 200);

    /// <summary>The calendar stream id.</summary>
    public const string CalendarStream = "$calendar";

    /// <summary>Warms the calendar cache for every agency that has a calendar.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var eventStore = store();
        await using var command = eventStore.DataSource.CreateCommand(
            $"SELECT tenant_id FROM {eventStore.Options.Schema}.streams WHERE stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CalendarStream });
        var agencies = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                agencies.Add(reader.GetString(0));
            }
        }

        foreach (var agency in agencies)
        {
            // What the stored read models were computed on, presumably: no rebuild at start-up.
            await LoadCalendarAsync(new AgencyId(agency), requestRebuild: false, cancellationToken);
        }
    }

    /// <summary>
    /// Reloads the calendars another node changed or set: those of every agency whose calendar stream is ahead of this
    /// node's cache, an agency this node never served included, found by one lookup of every calendar stream's version.
    /// Hosts call it every few seconds (<c>CalendarRefreshService</c>), so that a node that opens no case of the agency
    /// (whose intake would reload them) does not keep counting on the old calendars, or on the default stand-in for an
    /// agency set up on another node since this one started, in its inline read models and in the projections and
    /// rebuilds its daemon runs; a node that finds a change requests the rebuild itself (see
    /// <see cref="LoadCalendarAsync(AgencyId, CancellationToken)"/>).
    /// </summary>
    public async Task RefreshCalendarsAsync(CancellationToken cancellationToken)
    {
        foreach (var (agency, version) in await ReadCalendarVersionsAsync(cancellationToken))
        {
            if (version > calendars.VersionOf(agency))
            {
                await LoadCalendarAsync(new AgencyId(agency), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Every agency's calendar stream version. The streams' key leads with the agency, and a case is a stream: rather
    /// than scan every case's row for the calendar streams, this steps through the key's agencies (one index probe each,
    /// a loose index scan) and looks up each one's calendar stream by key.
    /// </summary>
    private async Task<List<(string Agency, long Version)>> ReadCalendarVersionsAsync(CancellationToken cancellationToken)
    {
        var eventStore = store();
        var streams = eventStore.Options.Schema + ".streams";
        await using var command = eventStore.DataSource.CreateCommand($"""
            WITH RECURSIVE agencies AS (
                (SELECT tenant_id FROM {streams} ORDER BY tenant_id LIMIT 1)
                UNION ALL
                SELECT (SELECT s.tenant_id FROM {streams} s WHERE s.tenant_id > a.tenant_id ORDER BY s.tenant_id LIMIT 1)
                FROM agencies a WHERE a.tenant_id IS NOT NULL)
            SELECT c.tenant_id, c.version FROM agencies a JOIN {streams} c ON c.tenant_id = a.tenant_id AND c.stream_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CalendarStream });
        var versions = new List<(string, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return versions;
    }

    /// <summary>The agency's service catalog, as of the latest committed change.</summary>
    public async Task<Versioned<ServiceCatalog>> LoadCatalogAsync(AgencyId agency, CancellationToken cancellationToken)
    {
        var versions = await ReadVersionsAsync(agency, cancellationToken);
        return await CurrentAsync<CatalogEvent, ServiceCatalog>(agency, CatalogStream, versions, ServiceCatalog.Fold, cancellationToken);
    }

    /// <summary>The agency's routing table, as of the latest committed change.</summary>
    public async Task<Versioned<RoutingTable>> LoadRoutingAsync(AgencyId agency, CancellationToken cancellationToken)
    {
        var versions = await ReadVersionsAsync(agency, cancellationToken);
        return await CurrentAsync<RoutingEvent, RoutingTable>(agency, RoutingStream, versions, RoutingTable.Fold, cancellationToken);
    }

    /// <summary>
    /// What case intake needs, the catalog and the routing table, both as of the latest committed change: one primary-key
    /// lookup of the two streams' versions, plus a read of a stream only when it changed since this node last folded it.
    /// </summary>
    public async Task<(Versioned<ServiceCatalog> Catalog, Versioned<RoutingTable> Routing)> LoadIntakeAsync(AgencyId agency, CancellationToken cancellationToken)
    {
        var versions = await ReadVersionsAsync(agency, cancellationToken);
        var catalog = await CurrentAsync<CatalogEvent, ServiceCatalog>(agency, CatalogStream, versions, ServiceCatalog.Fold, cancellationToken);
        var routing = await CurrentAsync<RoutingEvent, RoutingTable>(agency, RoutingStream, versions, RoutingTable.Fold, cancellationToken);
        if (versions.GetValueOrDefault(CalendarStream) > calendars.VersionOf(agency.Value))
        {
            // Another node changed the calendar: the case about to open counts on the new one.
            await LoadCalendarAsync(agency, cancellationToken);
        }

        return (catalog, routing);
    }

    /// <summary>
    /// The agency's calendar definition now (the default one when none was set), with the calendar cache brought up to
    /// date: every calendar the agency set, each in force from when it was set (the first from the beginning: it
    /// replaces the default stand-in), see <see cref="CalendarHistory"/>. When this finds calendars the cache had not
    /// seen, it requests a rebuild of the read models that store SLA due instants
    /// (<see cref="BuiltInProjections.StoringDueInstants"/>), whose open cases are now due at other instants, and when
    /// it had none of the agency's, also of those that store business time counted on the stand-in
    /// (<see cref="BuiltInProjections.CountingOnTheFirstCalendar"/>).
    /// </summary>
    public Task<Versioned<CalendarDefinition>> LoadCalendarAsync(AgencyId agency, CancellationToken cancellationToken) =>
        LoadCalendarAsync(agency, requestRebuild: true, cancellationToken);

    private async Task<Versioned<CalendarDefinition>> LoadCalendarAsync(AgencyId agency, bool requestRebuild, CancellationToken cancellationToken)
    {
        var (events, version, ids) = await ReadAsync<CalendarSet>(agency, CalendarStream, cancellationToken);
        var definition = events.Count == 0 ? CalendarDefinition.Default : events[^1].Calendar;
        // None cached: the stand-in was in force here, which the first calendar replaces from the beginning.
        var replacesStandIn = calendars.VersionOf(agency.Value) == 0;
        if (History(events) is { } history && calendars.Set(agency.Value, history, version) && requestRebuild
            && await HasCasesAsync(agency, cancellationToken))
        {
            var registered = store().Projections.All.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var rebuilt = replacesStandIn ? [.. BuiltInProjections.StoringDueInstants, .. BuiltInProjections.CountingOnTheFirstCalendar] : BuiltInProjections.StoringDueInstants;
            foreach (var name in rebuilt.Where(registered.Contains))
            {
                await store().Projections.RequestRebuildAsync(name, cancellationToken);
            }
        }

        return new(definition, version, ids);
    }

    /// <summary>
    /// Whether the agency has a stream besides its reference data: a new agency setting up its calendar before its first
    /// case has no due instant to move, and no rebuild of every agency's read models is needed. A range of the streams'
    /// key.
    /// </summary>
    private async Task<bool> HasCasesAsync(AgencyId agency, CancellationToken cancellationToken)
    {
        var eventStore = store();
        await using var command = eventStore.DataSource.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM {eventStore.Options.Schema}.streams WHERE tenant_id = $1 AND NOT starts_with(stream_id, '$'))");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency.Value });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>
    /// The calendars over time: the first one set in force from the beginning, each later one from when it was set. A
    /// definition that does not make a calendar (stored before a check that refuses it existed) changes nothing.
    /// </summary>
    private static CalendarHistory? History(List<CalendarSet> events)
    {
        CalendarHistory? history = null;
        foreach (var set in events)
        {
            if (set.Calendar?.TryBuild().Calendar is { } calendar)
            {
                history = history is null ? CalendarHistory.Of(calendar) : history.Then(set.At, calendar);
            }
        }

        return history;
    }

    /// <summary>The agency's business calendar from the cache (the default calendar when it has none).</summary>
    public BusinessCalendar CalendarFor(string agency) => calendars.For(agency);

    /// <summary>
    /// Appends reference events to a stream of the agency at <paramref name="expectedVersion"/>. With an idempotency
    /// key the event ids are derived from it, so a retry appends nothing.
    /// </summary>
    public async Task<AppendResult> AppendAsync(
        AgencyId agency, string streamId, long expectedVersion, IReadOnlyList<object> events, EventMetadata metadata, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var stream = new StreamName(agency.Value, streamId);
        var newEvents = events.Select((e, i) => new NewEvent(
            idempotencyKey is null ? CaseEventIds.New() : CaseEventIds.ForIdempotencyKey(stream, idempotencyKey, i), e, metadata)).ToArray();
        var result = await store().AppendToStreamAsync(stream, streamId.TrimStart('$'), ExpectedVersion.Exactly(expectedVersion), newEvents, cancellationToken);
        if (streamId == CalendarStream)
        {
            await LoadCalendarAsync(agency, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// The metadata of the write made with <paramref name="idempotencyKey"/> in the agency's stream, or null when the
    /// stream holds none: who made it and, for writes that recorded them, the request it was (its command and
    /// fingerprint), to tell a retry from another request that reused the key.
    /// </summary>
    public async Task<EventMetadata?> FindAppliedAsync(AgencyId agency, string streamId, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agency);
        var stream = new StreamName(agency.Value, streamId);
        var first = CaseEventIds.ForIdempotencyKey(stream, idempotencyKey, 0);
        // Reference streams are short (one event per admin change), and the keyed write is looked for only on a retry.
        await foreach (var recorded in store().ReadStreamAsync(stream, ReadStreamOptions.All, cancellationToken))
        {
            if (recorded.EventId == first)
            {
                return recorded.Metadata;
            }
        }

        return null;
    }

    /// <summary>True when the write made with <paramref name="idempotencyKey"/> is already stored in the stream.</summary>
    public static bool AlreadyApplied<T>(Versioned<T> current, AgencyId agency, string streamId, string? idempotencyKey) =>
        idempotencyKey is not null
        && current.EventIds.Contains(CaseEventIds.ForIdempotencyKey(new StreamName(agency.Value, streamId), idempotencyKey, 0));

    /// <summary>
    /// The folded value of a reference stream at <paramref name="versions"/>: from this node's cache when the stream has
    /// not moved since it was folded (the version is the stream's, read in the same round trip for every stream, so
    /// a change made by any node is seen at once), else read and folded afresh.
    /// </summary>
    private async Task<Versioned<TValue>> CurrentAsync<TEvent, TValue>(
        AgencyId agency, string streamId, IReadOnlyDictionary<string, long> versions, Func<List<TEvent>, TValue> fold, CancellationToken cancellationToken)
    {
        var current = versions.GetValueOrDefault(streamId);
        var key = (agency.Value, streamId);
        if (_folded.TryGetValue(key, out var cached) && cached is Versioned<TValue> hit && hit.Version == current)
        {
            return hit;
        }

        var (events, version, ids) = await ReadAsync<TEvent>(agency, streamId, cancellationToken);
        var value = new Versioned<TValue>(fold(events), version, ids);
        // Keep the newest fold when two requests race to refresh the same stream.
        _folded.AddOrUpdate(key, value, (_, existing) => existing is Versioned<TValue> other && other.Version > version ? existing : value);
        return value;
    }

    /// <summary>
    /// The versions of the agency's reference streams (absent: never written), one indexed lookup. Checks of many
    /// requests are combined: a check that arrives while another is in flight waits for the next lookup, which starts
    /// after it arrived and so sees every change committed before it, and serves every check waiting, of any agency.
    /// </summary>
    private Task<IReadOnlyDictionary<string, long>> ReadVersionsAsync(AgencyId agency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agency);
        return _versionChecks.WriteAsync(agency, cancellationToken);
    }

    private static async Task<IReadOnlyList<Func<IReadOnlyDictionary<string, long>>>> ReadVersionsAsync(
        Func<PostgresEventStore> store, IReadOnlyList<AgencyId> agencies, CancellationToken cancellationToken)
    {
        var streams = agencies.Distinct().SelectMany(a => ReferenceStreams.Select(id => new StreamName(a.Value, id))).ToArray();
        var found = await store().ReadStreamVersionsAsync(streams, cancellationToken);
        return agencies.Select(agency =>
        {
            var versions = new Dictionary<string, long>(ReferenceStreams.Length, StringComparer.Ordinal);
            foreach (var id in ReferenceStreams)
            {
                if (found.TryGetValue(new StreamName(agency.Value, id), out var version))
                {
                    versions[id] = version;
                }
            }

            return (Func<IReadOnlyDictionary<string, long>>)(() => versions);
        }).ToArray();
    }

    private async Task<(List<T> Events, long Version, HashSet<Guid> Ids)> ReadAsync<T>(AgencyId agency, string streamId, CancellationToken cancellationToken)
    {
        var events = new List<T>();
        var ids = new HashSet<Guid>();
        long version = 0;
        await foreach (var recorded in store().ReadStreamAsync(new StreamName(agency.Value, streamId), ReadStreamOptions.All, cancellationToken))
        {
            if (recorded.Data is T e)
            {
                events.Add(e);
            }

            ids.Add(recorded.EventId);
            version = recorded.StreamVersion;
        }

        return (events, version, ids);
    }
}

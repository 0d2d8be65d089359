using System.Text;

namespace EventCase.EventStore.Auditing;

/// <summary>One event row as the chain check sees it.</summary>
internal sealed record ChainRow(CanonicalEvent Event, AuditHash? StoredHash);

/// <summary>What the stream row says: its version and head hash.</summary>
internal readonly record struct StreamHead(long Version, AuditHash? Hash);

/// <summary>
/// Checks one stream's chain at a time, fed its rows in version order, and names the first break and its most likely
/// cause. Memory: the current link, plus, after a break, up to <see cref="MaxLookahead"/> rows kept to tell an
/// insertion or a swap from an edit. Not thread safe.
/// </summary>
internal sealed class ChainWalker(CanonicalEncoder encoder)
{
    /// <summary>How many rows after a break are kept to classify it. A swap of two versions further apart than this
    /// is reported as an edit.</summary>
    public const int MaxLookahead = 1000;

    private readonly List<ChainRow> _afterBreak = [];
    private StreamName _stream;
    private StreamHead? _head;
    private bool _headKnown;
    private long _expected;
    private long _first;
    private AuditHash _previous;
    private AuditHash _beforePrevious;
    private AuditHash _breakPrevious;
    private AuditHash _breakBeforePrevious;
    private AuditFinding? _finding;
    private AuditFinding? _gap;
    private bool _broken;

    /// <summary>Starts a stream.</summary>
    /// <param name="stream">Which.</param>
    /// <param name="headKnown">Whether the stream row was looked up (false for an export checked offline).</param>
    /// <param name="head">The stream row, or null when it is missing.</param>
    /// <param name="firstVersion">The version the rows start at (1, or later for an export of a period).</param>
    /// <param name="previous">The hash the first row chains from.</param>
    public void Begin(StreamName stream, bool headKnown, StreamHead? head, long firstVersion = 1, AuditHash previous = default)
    {
        _stream = stream;
        _headKnown = headKnown;
        _head = head;
        _expected = firstVersion;
        _first = firstVersion;
        _previous = previous;
        _beforePrevious = default;
        _finding = null;
        _gap = null;
        _broken = false;
        _afterBreak.Clear();
    }

    /// <summary>The version the next intact row must have.</summary>
    public long ExpectedVersion => _expected;

    /// <summary>The hash of the last intact row (what the next row must chain from).</summary>
    public AuditHash Previous => _previous;

    /// <summary>True once the stream's first break is known or pending classification.</summary>
    public bool IsBroken => _broken || _finding is not null || _gap is not null;

    /// <summary>
    /// The row's hash when it chains from the one before; otherwise records the break. The fast path: the canonical
    /// fields passed one by one, no row object.
    /// </summary>
    public bool Accept(
        long version, Guid eventId, string eventType, long recordedAtMicros, string data, string metadata, AuditHash? storedHash)
    {
        if (IsBroken)
        {
            if (_afterBreak.Count < MaxLookahead && _finding is null)
            {
                _afterBreak.Add(Row(version, eventId, eventType, recordedAtMicros, data, metadata, storedHash));
            }

            return false;
        }

        if (version != _expected)
        {
            if (version < _first)
            {
                _finding = Found(version, TamperKind.InsertedEvent, $"a row has version {version}, below the first version {_first}");
            }
            else if (version < _expected)
            {
                // Within the versions already seen: the same version twice (an export's line repeated or moved back, or
                // a row added under a dropped unique constraint).
                _finding = Found(version, TamperKind.InsertedEvent, $"version {version} comes again after version {_expected - 1}: a row repeated or out of order");
            }
            else if (_headKnown && _head is { } head && version > head.Version && _expected > head.Version)
            {
                _finding = Found(version, TamperKind.InsertedEvent, $"version {version} lies beyond the stream's head version {head.Version}");
            }
            else
            {
                var missing = version - 1 == _expected
                    ? $"version {_expected} is missing"
                    : $"versions {_expected}–{version - 1} are missing";
                // Pending until the end: in an export, the missing version may come on a later line (lines out of
                // order, not an event deleted). The store reads in version order, so there it never does.
                _gap = Found(_expected, TamperKind.DeletedEvent, missing);
                _afterBreak.Add(Row(version, eventId, eventType, recordedAtMicros, data, metadata, storedHash));
            }

            return false;
        }

        if (storedHash is null)
        {
            _finding = Found(version, TamperKind.InsertedEvent, "the row has no hash: the store did not write it");
            return false;
        }

        var computed = encoder.Hash(_previous, _stream.Tenant, _stream.Id, version, eventId, eventType, recordedAtMicros, data, metadata);
        if (computed == storedHash.Value)
        {
            _beforePrevious = _previous;
            _previous = computed;
            _expected++;
            return true;
        }

        _broken = true;
        _breakPrevious = _previous;
        _breakBeforePrevious = _beforePrevious;
        _afterBreak.Add(Row(version, eventId, eventType, recordedAtMicros, data, metadata, storedHash));
        return false;
    }

    /// <summary>
    /// <see cref="Accept(long, Guid, string, long, string, string, AuditHash?)"/> of a row whose JSON documents are the
    /// UTF-8 bytes PostgreSQL sent (what a stream read deserializes): an intact row is hashed from those bytes as they
    /// are; any other goes the way of the text fields, which keeps one classification of breaks.
    /// </summary>
    public bool Accept(
        long version, Guid eventId, string eventType, long recordedAtMicros, ReadOnlySpan<byte> dataUtf8, ReadOnlySpan<byte> metadataUtf8, AuditHash? storedHash)
    {
        if (!IsBroken && version == _expected && storedHash is { } stored &&
            encoder.Hash(_previous, _stream.Tenant, _stream.Id, version, eventId, eventType, recordedAtMicros, dataUtf8, metadataUtf8) == stored)
        {
            _beforePrevious = _previous;
            _previous = stored;
            _expected++;
            return true;
        }

        return Accept(version, eventId, eventType, recordedAtMicros, Encoding.UTF8.GetString(dataUtf8), Encoding.UTF8.GetString(metadataUtf8), storedHash);
    }

    /// <summary>Ends the stream: its first break, or null when its chain (and, if known, its head) is intact.</summary>
    public AuditFinding? End()
    {
        if (_finding is not null)
        {
            return _finding;
        }

        if (_gap is not null)
        {
            return ClassifyGap(_gap);
        }

        if (_broken)
        {
            return Classify();
        }

        var last = _expected - 1;
        if (!_headKnown)
        {
            return null;
        }

        if (_head is not { } head)
        {
            return Found(last, TamperKind.ChangedHead, "the stream row is missing");
        }

        if (last > head.Version)
        {
            return head.Hash == _previous
                ? Found(last, TamperKind.ChangedHead, $"the stream row says version {head.Version}, its head hash is that of version {last}")
                : Found(head.Version + 1, TamperKind.InsertedEvent, $"versions {head.Version + 1}–{last} lie beyond the stream's head version {head.Version}");
        }

        if (last < head.Version)
        {
            return head.Hash == _previous && last > 0
                ? Found(last, TamperKind.ChangedHead, $"the stream row says version {head.Version}, but the chain ends intact at version {last} with the head's hash")
                : Found(last + 1, TamperKind.DeletedEvent, last == 0
                    ? $"the stream row names version {head.Version}, but the stream has no events"
                    : last + 1 == head.Version
                    ? $"version {last + 1} (the stream's last) is missing"
                    : $"versions {last + 1}–{head.Version} (the stream's last) are missing");
        }

        return head.Hash == _previous
            ? null
            : Found(last, TamperKind.ChangedHead, $"the stream row's head hash {Describe(head.Hash)} is not the hash of version {last}");
    }

    /// <summary>A gap in the versions: the missing version found further on, chaining where it belongs, is rows out of
    /// order (an export's lines moved); otherwise the version is missing.</summary>
    private AuditFinding ClassifyGap(AuditFinding gap)
    {
        foreach (var row in _afterBreak)
        {
            if (row.Event.StreamVersion == _expected && Matches(row, _expected, _previous))
            {
                return Found(_expected, TamperKind.ReorderedEvents, $"version {_expected} comes after version {_afterBreak[0].Event.StreamVersion}: the rows are out of order");
            }
        }

        return gap;
    }

    private AuditFinding Classify()
    {
        var first = _afterBreak[0];
        var version = first.Event.StreamVersion;
        if (_headKnown && _head is { } head && version > head.Version)
        {
            return Found(version, TamperKind.InsertedEvent, $"version {version} lies beyond the stream's head version {head.Version} and does not chain");
        }

        // A later row that chains right here, at this version: this row either swapped places with it, or was put in
        // front of it (with the versions after it shifted up to make room).
        for (var j = 1; j < _afterBreak.Count; j++)
        {
            var candidate = _afterBreak[j];
            if (!Matches(candidate, version, _breakPrevious))
            {
                continue;
            }

            var otherVersion = candidate.Event.StreamVersion;
            var otherPrevious = j == 1 ? candidate.StoredHash : _afterBreak[j - 1].StoredHash;
            if (otherPrevious is { } p && Matches(first, otherVersion, p))
            {
                return Found(version, TamperKind.ReorderedEvents, $"versions {version} and {otherVersion} were swapped");
            }

            return Found(version, TamperKind.InsertedEvent, j == 1
                ? $"a row was inserted at version {version}; the versions after it were shifted up"
                : $"rows were inserted at versions {version}–{otherVersion - 1}; the versions after them were shifted up");
        }

        // The row before chained, but this one chains from the row before that, one version down: the row before was
        // inserted here with a hash forged to fit, and the rest shifted up.
        if (version > 1 && Matches(first, version - 1, _breakBeforePrevious))
        {
            return Found(version - 1, TamperKind.InsertedEvent, $"a row was inserted at version {version - 1} with a forged hash; the versions after it were shifted up");
        }

        if (_afterBreak.Count > 1)
        {
            var next = _afterBreak[1];
            if (first.StoredHash is { } stored && Matches(next, next.Event.StreamVersion, stored))
            {
                return Found(version, TamperKind.EditedEvent, $"version {version} no longer matches its hash (the next event still chains from that hash)");
            }

            // Versions renumbered down over a removed event: this row and the next chain at one version up.
            if (first.StoredHash is { } s && Matches(next, next.Event.StreamVersion + 1, s))
            {
                return Found(version, TamperKind.DeletedEvent, $"an event at version {version} was removed and the versions after it renumbered down");
            }
        }
        else if (!_headKnown || (_head is { } h && h.Hash == first.StoredHash))
        {
            return Found(version, TamperKind.EditedEvent, $"version {version} no longer matches its hash (the stream's head still has that hash)");
        }

        return Found(version, TamperKind.EditedEvent, $"version {version} does not chain from version {version - 1}: the event or its stored hash was altered");
    }

    private bool Matches(ChainRow row, long atVersion, AuditHash previous)
    {
        if (row.StoredHash is not { } stored)
        {
            return false;
        }

        var e = row.Event;
        return encoder.Hash(previous, e.Tenant, e.StreamId, atVersion, e.EventId, e.EventType, e.RecordedAtMicroseconds, e.DataJson, e.MetadataJson) == stored;
    }

    private ChainRow Row(long version, Guid eventId, string eventType, long recordedAtMicros, string data, string metadata, AuditHash? storedHash) =>
        new(new CanonicalEvent(_stream.Tenant, _stream.Id, version, eventId, eventType, recordedAtMicros, data, metadata), storedHash);

    private AuditFinding Found(long version, TamperKind kind, string detail) => new(_stream, version, kind, detail);

    private static string Describe(AuditHash? hash) =>
        hash is { } h ? h.ToString()[..16] + "…" : "(none)";
}

using System.Globalization;
using System.Text;
using EventCase.Cases;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using EventCase.Import.Mapping;
using EventCase.Import.Reading;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Import.Synthesis;

/// <summary>A data-quality rule a row broke, and what exactly was wrong.</summary>
/// <param name="Rule">The rule's name (<see cref="QualityRules"/>).</param>
/// <param name="Reason">What was found, with the offending value.</param>
public sealed record QualityFinding(string Rule, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => Rule + ": " + Reason;
}

/// <summary>One source row turned into a case stream's events, or rejected.</summary>
/// <param name="Row">The row's line number in the file (the header is line 1).</param>
/// <param name="SourceId">The source id, or empty when the row had none.</param>
/// <param name="Append">The case stream's events; null when the row is rejected.</param>
/// <param name="Findings">The rules the row broke: flags when imported, reasons when rejected.</param>
internal sealed record SynthesizedRow(long Row, string SourceId, StreamAppend? Append, IReadOnlyList<QualityFinding> Findings)
{
    public bool IsRejected => Append is null;

    /// <summary>The case number of the case, or null when the row is rejected.</summary>
    public CaseNumber? Number => Append?.Events[0].Data is CaseOpened opened ? opened.Number : null;
}

/// <summary>
/// Turns one source row into the events that reproduce what the source knows of the case (pure: no I/O, no clock).
/// The events are built directly rather than through the decider because they are history, not requests; the
/// sequence is one the decider accepts (opened → assigned → resolved → closed, or → cancelled / duplicate /
/// transferred). Event ids are derived from (tenant, case stream, <c>import:</c> + source id, index), so the same row
/// always yields the same ids and re-importing it is recognised by the store as a retry. Not thread safe (it reuses a
/// header index); use one per reader.
/// </summary>
internal sealed class CaseSynthesizer
{
    /// <summary>The actor of every imported event.</summary>
    public const string ActorId = "system:importer";

    /// <summary>The actor role of every imported event.</summary>
    public const string ActorRole = "system";

    /// <summary>The opened event's attribute holding the source status text of the row as exported.</summary>
    public const string StatusAttribute = "import.status";

    /// <summary>The opened event's attribute holding the data-quality flags of the row as exported.</summary>
    public const string QualityAttribute = "import.quality";

    /// <summary>The first year a case number can carry (<see cref="CaseNumber"/>).</summary>
    private const int MinimumYear = 1900;

    /// <summary>The last year a case number can carry.</summary>
    private const int MaximumYear = 9999;

    private readonly ImportMapping _mapping;
    private readonly AgencyId _agency;
    private readonly string _fileName;
    private readonly string _correlationId;
    private readonly SourceTimestamps _timestamps;
    private readonly Dictionary<string, int> _columns;
    private readonly Dictionary<string, List<int>> _repeated;
    private readonly int _headerLength;
    private readonly int _sourceId, _created, _updated, _due, _closed, _service, _department, _queue, _status,
        _closureReason, _channel, _address, _latitude, _longitude, _point, _duplicateOf;

    private readonly int[] _description;
    private readonly (string Name, int Index)[] _attributes;
    private readonly SlaTarget _defaultSla;
    private readonly (int Index, string Name)[] _mappedColumns;

    public CaseSynthesizer(ImportMapping mapping, AgencyId agency, string fileName, IReadOnlyList<string> header)
    {
        _mapping = mapping;
        _agency = agency;
        _fileName = fileName;
        _correlationId = "import:" + mapping.Source + ":" + fileName;
        _timestamps = new SourceTimestamps(mapping.TimeZone, mapping.TimestampFormats);
        _headerLength = header.Count;
        _columns = new Dictionary<string, int>(StringComparer.Ordinal);
        _repeated = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            if (!_columns.TryAdd(header[i], i))
            {
                (_repeated.TryGetValue(header[i], out var at) ? at : _repeated[header[i]] = [_columns[header[i]]]).Add(i);
            }
        }

        var c = mapping.Columns;
        _sourceId = Required(c.SourceId, "sourceId");
        _created = Required(c.Created, "created");
        _service = Required(c.Service, "service");
        _status = Required(c.Status, "status");
        _updated = Optional(c.Updated, "updated");
        _due = Optional(c.Due, "due");
        _closed = Optional(c.Closed, "closed");
        _department = Optional(c.Department, "department");
        _queue = Optional(c.Queue, "queue");
        _closureReason = Optional(c.ClosureReason, "closureReason");
        _channel = Optional(c.Channel, "channel");
        _address = Optional(c.Address, "address");
        _latitude = Optional(c.Latitude, "latitude");
        _longitude = Optional(c.Longitude, "longitude");
        _point = Optional(c.Point, "point");
        _duplicateOf = Optional(c.DuplicateOf, "duplicateOf");
        _description = c.Description.Select((d, i) => Required(d, $"description[{i}]")).ToArray();
        _attributes = mapping.Attributes.Select((a, i) => (a, Required(a, $"attributes[{i}]")))
            .Concat(mapping.VolatileAttributes.Select((a, i) => (a, Required(a, $"volatileAttributes[{i}]"))))
            .ToArray();
        UncomparedAttributes = new HashSet<string>([StatusAttribute, QualityAttribute, .. mapping.VolatileAttributes], StringComparer.Ordinal);
        _defaultSla = SlaTarget.CalendarDays(mapping.DefaultSlaDays);
        _mappedColumns = new[] { _sourceId, _created, _service, _status, _updated, _due, _closed, _department, _queue, _closureReason, _channel,
                _address, _latitude, _longitude, _point, _duplicateOf }
            .Concat(_description)
            .Concat(_attributes.Select(a => a.Index))
            .Where(i => i >= 0)
            .Distinct()
            .Order()
            .Select(i => (i, header[i]))
            .ToArray();
    }

    public DateTimeZone Zone => _timestamps.Zone;

    /// <summary>
    /// The opened event's attributes that describe the export rather than the case, which a re-import does not
    /// compare (<see cref="Running.StoredHistory"/>): the row's status text and flags as exported, and the mapping's
    /// volatile columns.
    /// </summary>
    public IReadOnlySet<string> UncomparedAttributes { get; }

    /// <summary>Builds the case of <paramref name="fields"/> (the row at line <paramref name="row"/>).</summary>
    public SynthesizedRow Synthesize(long row, string[] fields)
    {
        var findings = new List<QualityFinding>();
        if (fields.Length != _headerLength)
        {
            // The source id is reported as it stands in its column: the fields before a missing or extra one are in place.
            return Reject(row, Field(fields, _sourceId), new QualityFinding(QualityRules.MalformedRow, $"{fields.Length} fields where the header has {_headerLength}"));
        }

        if (FirstUnstorableCharacter(fields) is { } unstorable)
        {
            var readableId = Field(fields, _sourceId);
            return Reject(row, UnstorableCharacters.IndexIn(readableId) < 0 ? readableId : "", new QualityFinding(QualityRules.MalformedRow, unstorable));
        }

        var sourceId = Field(fields, _sourceId);
        var createdText = Field(fields, _created);
        var serviceText = Field(fields, _service);
        var statusText = Field(fields, _status);
        var missing = new List<string>();
        if (sourceId.Length == 0) missing.Add(_mapping.Columns.SourceId);
        if (createdText.Length == 0) missing.Add(_mapping.Columns.Created);
        if (serviceText.Length == 0 || Slug(serviceText, lower: true).Length == 0) missing.Add(_mapping.Columns.Service);
        if (statusText.Length == 0) missing.Add(_mapping.Columns.Status);
        if (missing.Count > 0)
        {
            return Reject(row, sourceId, new QualityFinding(QualityRules.MissingRequiredField, "empty " + string.Join(", ", missing)));
        }

        if (_timestamps.Parse(createdText, out var createdOutOfRange) is not { } created)
        {
            return Reject(row, sourceId, new QualityFinding(QualityRules.UnparseableCreated, createdOutOfRange
                ? OutOfRange(_mapping.Columns.Created, createdText)
                : $"{_mapping.Columns.Created} '{createdText}' matches none of {string.Join(" | ", _mapping.TimestampFormats)}"));
        }

        if (created.Local.Year is < MinimumYear or > MaximumYear)
        {
            // The case number carries the year of the opening, and a case number's year is 1900–9999: say which column
            // is at fault, not the source id's (the number's other half).
            return Reject(row, sourceId, new QualityFinding(QualityRules.InvalidIdentifier,
                $"{_mapping.Columns.Created} '{createdText}' is in the year {created.Local.Year}; case numbers ({_mapping.Cases.NumberPrefix}-<year>-<sequence>) take the years {MinimumYear}–{MaximumYear}"));
        }

        CheckResolution(created, _mapping.Columns.Created, findings);
        var caseIdText = _mapping.Cases.IdPrefix + sourceId;
        if (CaseIdProblem(caseIdText) is { } idProblem)
        {
            return Reject(row, sourceId, new QualityFinding(QualityRules.InvalidIdentifier, $"case id '{Excerpt(caseIdText)}' is not a valid stream id: {idProblem}"));
        }

        var number = Number(row, sourceId, created.Local.Year);
        if (number is null)
        {
            return Reject(row, sourceId, new QualityFinding(QualityRules.InvalidIdentifier, $"no case number sequence can be derived from source id '{sourceId}'"));
        }

        var updated = OptionalTimestamp(fields, _updated, _mapping.Columns.Updated, findings);
        var due = OptionalTimestamp(fields, _due, _mapping.Columns.Due, findings);
        var closed = OptionalTimestamp(fields, _closed, _mapping.Columns.Closed, findings);

        var lifecycle = SourceLifecycle.Open;
        if (_mapping.Statuses.TryGetValue(statusText, out var mapped))
        {
            lifecycle = mapped;
        }
        else
        {
            findings.Add(new QualityFinding(QualityRules.UnknownStatus, $"status '{statusText}' is not in the mapping; imported as open"));
        }

        // The instant the case ended in the source: the closed instant, else (for cancellations, duplicates and
        // transfers, which some sources stamp only as an update) the updated instant.
        Instant? endedAt = null;
        if (lifecycle != SourceLifecycle.Open)
        {
            endedAt = closed?.Instant ?? updated?.Instant;
            if (endedAt is null)
            {
                findings.Add(new QualityFinding(QualityRules.MissingClosedDate, $"status '{statusText}' ends the case but it has no closed or updated instant; left open"));
                lifecycle = SourceLifecycle.Open;
            }
            else if (endedAt < created.Instant)
            {
                findings.Add(new QualityFinding(QualityRules.CloseBeforeOpen,
                    $"ended {Format(endedAt.Value)} before it opened {Format(created.Instant)}; both kept as in the source"));
            }
        }

        var sla = _defaultSla;
        if (due is { } d)
        {
            if (d.Instant > created.Instant)
            {
                // The source's due instant as business time counted from the opening: on an always-open agency calendar
                // the SLA clock is due exactly when the source says (see docs/import.md).
                sla = SlaTarget.BusinessTime(d.Instant - created.Instant);
            }
            else
            {
                findings.Add(new QualityFinding(QualityRules.DueBeforeOpen,
                    $"due {Format(d.Instant)} is not after the opening {Format(created.Instant)}; default SLA {_mapping.DefaultSla} used"));
            }
        }

        var channelText = Field(fields, _channel);
        var channel = _mapping.DefaultChannel;
        if (channelText.Length > 0)
        {
            if (_mapping.Channels.TryGetValue(channelText, out var ch))
            {
                channel = ch;
            }
            else
            {
                findings.Add(new QualityFinding(QualityRules.UnknownChannel, $"channel '{channelText}' is not in the mapping; {ChannelName(channel)} used"));
            }
        }

        var location = Location(fields, findings);
        foreach (var finding in findings)
        {
            if (_mapping.PolicyFor(finding.Rule) == QualityPolicy.Reject)
            {
                return new SynthesizedRow(row, sourceId, null, findings.Where(f => _mapping.PolicyFor(f.Rule) == QualityPolicy.Reject).ToArray());
            }
        }

        var caseId = new CaseId(caseIdText);
        var stream = CaseStreams.For(_agency, caseId);
        var queueText = Field(fields, _queue);
        var team = queueText.Length > 0 && Slug(queueText, lower: true) is { Length: > 0 } slug ? new TeamId(slug) : new TeamId(_mapping.DefaultTeam);
        var description = _description.Select(i => Field(fields, i)).FirstOrDefault(s => s.Length > 0) ?? serviceText;

        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (name, index) in _attributes)
        {
            if (Field(fields, index) is { Length: > 0 } value)
            {
                attributes[name] = [value];
            }
        }

        attributes["import.source_id"] = [sourceId];
        attributes["import.service"] = [serviceText];
        attributes[StatusAttribute] = [statusText];
        Put(attributes, "import.queue", queueText);
        Put(attributes, "import.department", Field(fields, _department));
        Put(attributes, "import.channel", channelText);
        if (due is { } sourceDue)
        {
            attributes["import.source_due"] = [Format(sourceDue.Instant)];
        }

        if (findings.Count > 0)
        {
            attributes[QualityAttribute] = findings.Select(f => f.ToString()).ToArray();
        }

        var metadata = new EventMetadata(ActorId, ActorRole, _correlationId, Channel: "import")
        {
            Extra = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["source"] = _mapping.Source,
                ["source_file"] = _fileName,
                ["source_row"] = row.ToString(CultureInfo.InvariantCulture),
                ["source_id"] = sourceId,
            },
        };

        var events = new List<object>(4)
        {
            new CaseOpened(caseId, number, _agency, new ServiceCode(Slug(serviceText, lower: true)), description, null, location, channel,
                attributes, CasePriority.Normal, sla, created.Instant),
            new CaseAssigned(caseId, new Assignment(team), created.Instant),
        };
        var reason = Field(fields, _closureReason) is { Length: > 0 } r ? r : $"{statusText} in {_mapping.Source}";
        switch (lifecycle)
        {
            case SourceLifecycle.Closed:
                events.Add(new CaseResolved(caseId, _mapping.ResolutionCode, reason, endedAt!.Value));
                events.Add(new CaseClosed(caseId, endedAt.Value));
                break;
            case SourceLifecycle.Cancelled:
                events.Add(new CaseCancelled(caseId, reason, endedAt!.Value));
                break;
            case SourceLifecycle.Transferred:
                events.Add(new CaseTransferred(caseId, _agency, new AgencyId(_mapping.TransferredToAgency), reason, endedAt!.Value));
                break;
            case SourceLifecycle.Duplicate:
                var original = Field(fields, _duplicateOf);
                var originalId = _mapping.Cases.IdPrefix + (original.Length > 0 ? original : sourceId);
                if (CaseIdProblem(originalId) is { } originalProblem)
                {
                    return Reject(row, sourceId, new QualityFinding(QualityRules.InvalidIdentifier,
                        $"{_mapping.Columns.DuplicateOf} '{Excerpt(original)}' makes the original's case id '{Excerpt(originalId)}', which is not a valid stream id: {originalProblem}"));
                }

                events.Add(new CaseMarkedDuplicate(caseId, new CaseId(originalId), null, endedAt!.Value));
                break;
        }

        // History is written directly, not through the decider, but never one the case's rules would refuse: the
        // events are immutable once written.
        if (Running.StoredHistory.FirstRefusal([(CaseEvent)events[0]], events.Skip(1).Cast<CaseEvent>()) is { } refusal)
        {
            return Reject(row, sourceId, new QualityFinding(QualityRules.RefusedHistory, refusal));
        }

        var key = "import:" + sourceId;
        var newEvents = new NewEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            newEvents[i] = new NewEvent(CaseEventIds.ForIdempotencyKey(stream, key, i), events[i], metadata);
        }

        return new SynthesizedRow(row, sourceId, new StreamAppend(stream, CaseStreams.StreamType, ExpectedVersion.NoStream, newEvents), findings);
    }

    /// <summary>
    /// <paramref name="row"/> rejected as malformed when one of its events would be larger than the event store takes
    /// (<paramref name="limit"/> bytes of data and metadata, counted as the store counts them), naming the row's longest
    /// mapped column; otherwise <paramref name="row"/> as it is. The store refuses such an event when the batch holding it
    /// is appended, which failed the whole batch and stopped the import, on every run.
    /// </summary>
    public SynthesizedRow RejectOversized(SynthesizedRow row, string[] fields, EventSerializer serializer, int limit)
    {
        if (row.Append is not { } append)
        {
            return row;
        }

        // Serializing is what makes the import slow, so only rows that could be too large are: a column's text appears at
        // most four times in one event (a source id in the case id, import.source_id, an attribute and the metadata), a
        // character takes at most six bytes in JSON (\uXXXX), and the rest of an event (names, ids, instants, the file
        // name in the metadata) is small beside the limit. Twice that bound leaves room for what this misjudges.
        long characters = 2L * _fileName.Length + _mapping.Source.Length;
        foreach (var (index, _) in _mappedColumns)
        {
            characters += fields[index].Length;
        }

        if (characters * 4 * 6 * 2 + 16_384 <= limit)
        {
            return row;
        }

        foreach (var @event in append.Events)
        {
            var (type, json) = serializer.SerializeData(@event.Data);
            var size = (long)Encoding.UTF8.GetByteCount(json) + Encoding.UTF8.GetByteCount(serializer.SerializeMetadata(@event.Metadata));
            if (size > limit)
            {
                var (longest, name) = _mappedColumns.MaxBy(c => fields[c.Index].Length);
                return new SynthesizedRow(row.Row, row.SourceId, null, [new QualityFinding(QualityRules.MalformedRow, string.Create(CultureInfo.InvariantCulture,
                    $"{name} is {fields[longest].Length:N0} characters long: the {type} event would be {size:N0} bytes, over the event store's limit of {limit:N0}; the row is not imported rather than imported cut short"))]);
            }
        }

        return row;
    }

    /// <summary>A row that could not be read as it is (broken quoting, not UTF-8): rejected as malformed.</summary>
    public static SynthesizedRow Malformed(long row, string sourceId, string detail) =>
        new(row, sourceId, null, [new QualityFinding(QualityRules.MalformedRow, detail)]);

    /// <summary>A row whose case number an earlier row of the file, with another source id, was given: rejected, as two
    /// cases must not share a number.</summary>
    public static SynthesizedRow NumberTaken(SynthesizedRow row, CaseNumber number, string earlierSourceId) =>
        new(row.Row, row.SourceId, null, [new QualityFinding(QualityRules.InvalidIdentifier,
            $"case number {number} is already that of source id '{earlierSourceId}' earlier in the file: the number keeps only the last nine digits of the source id, and these ids share them")]);

    /// <summary>A second row with a source id already seen in this file.</summary>
    public static SynthesizedRow Duplicate(long row, string sourceId) =>
        new(row, sourceId, null, [new QualityFinding(QualityRules.DuplicateSourceId, $"source id '{sourceId}' already appeared earlier in the file")]);

    /// <summary>The source id of a row, without synthesizing it (for duplicate detection).</summary>
    public string SourceIdOf(string[] fields) => Field(fields, _sourceId);

    /// <summary>The source id of a record that cannot be imported, if its field was read intact; else empty.</summary>
    public string ReadableSourceIdOf(CsvRecord record) => record.ReadableField(_sourceId)?.Trim() ?? "";

    internal static string Format(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    /// <summary>
    /// Lower-cases (for codes) and replaces every run of characters other than letters, digits, '-', '_' and '.' with
    /// one '-', trimmed and cut to 64: "PWDx_Street Light Outages" → "pwdx_street-light-outages".
    /// </summary>
    internal static string Slug(string text, bool lower)
    {
        var builder = new StringBuilder(text.Length);
        var dash = false;
        foreach (var ch in text)
        {
            if (char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.')
            {
                builder.Append(lower ? char.ToLowerInvariant(ch) : ch);
                dash = false;
            }
            else if (!dash && builder.Length > 0)
            {
                builder.Append('-');
                dash = true;
            }
        }

        var slug = builder.ToString().TrimEnd('-');
        return slug.Length > 64 ? slug[..64].TrimEnd('-') : slug;
    }

    private CaseLocation? Location(string[] fields, List<QualityFinding> findings)
    {
        var address = Field(fields, _address);
        var latText = Field(fields, _latitude);
        var lonText = Field(fields, _longitude);
        var pointText = Field(fields, _point);
        GeoPoint? point = null;
        string? given = null;
        if (latText.Length > 0 || lonText.Length > 0)
        {
            given = $"{latText}, {lonText}";
            point = SourceCoordinates.FromPair(latText, lonText);
        }
        else if (pointText.Length > 0)
        {
            given = pointText;
            point = SourceCoordinates.FromText(pointText);
        }

        if (given is not null && point is not { IsValid: true })
        {
            findings.Add(new QualityFinding(QualityRules.InvalidCoordinates, $"coordinates '{given}' are not a valid latitude/longitude; point dropped"));
            point = null;
        }
        else if (point is { } p && _mapping.PlaceholderPoints.Any(h => Math.Abs(h.Latitude - p.Latitude) <= h.Tolerance && Math.Abs(h.Longitude - p.Longitude) <= h.Tolerance))
        {
            findings.Add(new QualityFinding(QualityRules.PlaceholderCoordinates, $"coordinates '{given}' are the source's default point; point dropped"));
            point = null;
        }

        return point is null && address.Length == 0 ? null : new CaseLocation(point, address.Length == 0 ? null : address);
    }

    private ParsedTimestamp? OptionalTimestamp(string[] fields, int index, string? column, List<QualityFinding> findings)
    {
        var text = Field(fields, index);
        if (text.Length == 0)
        {
            return null;
        }

        if (_timestamps.Parse(text, out var outOfRange) is not { } parsed)
        {
            findings.Add(new QualityFinding(QualityRules.UnparseableDate,
                (outOfRange ? OutOfRange(column!, text) : $"{column} '{text}' matches none of {string.Join(" | ", _mapping.TimestampFormats)}") + "; treated as absent"));
            return null;
        }

        CheckResolution(parsed, column!, findings);
        return parsed;
    }

    private string OutOfRange(string column, string text) =>
        $"{column} '{text}' in {Zone.Id} is past the last instant an event can hold ({Format(Instant.MaxValue)})";

    private void CheckResolution(ParsedTimestamp parsed, string column, List<QualityFinding> findings)
    {
        var local = LocalDateTimePattern.ExtendedIso.Format(parsed.Local);
        switch (parsed.Resolution)
        {
            case LocalResolution.Skipped:
                findings.Add(new QualityFinding(QualityRules.SkippedLocalTime,
                    $"{column} {local} does not exist in {Zone.Id} (DST gap); taken as {Format(parsed.Instant)}"));
                break;
            case LocalResolution.Ambiguous:
                findings.Add(new QualityFinding(QualityRules.AmbiguousLocalTime,
                    $"{column} {local} happened twice in {Zone.Id} (DST overlap); the earlier {Format(parsed.Instant)} taken"));
                break;
        }
    }

    /// <summary>What is wrong with the first character of a mapped column that events cannot carry, or null.</summary>
    private string? FirstUnstorableCharacter(string[] fields)
    {
        foreach (var (index, name) in _mappedColumns)
        {
            var text = fields[index];
            if (UnstorableCharacters.IndexIn(text) is >= 0 and var at)
            {
                return $"{name} holds {UnstorableCharacters.Describe(text, at)} at character {at + 1}, which the event store or the exports downstream (JSON, XML) cannot carry; the row is not imported rather than imported altered";
            }
        }

        return null;
    }

    private CaseNumber? Number(long row, string sourceId, int year)
    {
        long sequence;
        if (_mapping.Cases.NumberSequence == NumberSequenceSource.RowNumber)
        {
            sequence = row;
        }
        else
        {
            var digits = new string(sourceId.Where(char.IsAsciiDigit).ToArray());
            if (digits.Length == 0)
            {
                return null;
            }

            sequence = long.Parse(digits.Length > 9 ? digits[^9..] : digits, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        return sequence is >= 1 and <= 999_999_999 && year is >= MinimumYear and <= MaximumYear
            ? new CaseNumber(_mapping.Cases.NumberPrefix, year, (int)sequence)
            : null;
    }

    private static SynthesizedRow Reject(long row, string sourceId, QualityFinding finding) => new(row, sourceId, null, [finding]);

    /// <summary>
    /// Why <paramref name="text"/> cannot be a case id and stream id, or null. The rules of <see cref="CaseId"/> and
    /// <see cref="StreamName"/> (at most 200 characters, no C0 control character nor DEL), checked here so that a row
    /// breaking them is rejected: a DEL passed the importer's own check, and the case id's constructor then threw in the
    /// reader, which stopped the import.
    /// </summary>
    private static string? CaseIdProblem(string text) =>
        text.Length > StreamName.MaxIdLength ? string.Create(CultureInfo.InvariantCulture, $"it is {text.Length:N0} characters long, and at most {StreamName.MaxIdLength} are allowed")
        : text.AsSpan().IndexOfAnyInRange('\0', '\x1f') is >= 0 and var c0 ? $"it holds {UnstorableCharacters.Describe(text, c0)} at character {c0 + 1}"
        : text.IndexOf('\x7f', StringComparison.Ordinal) is >= 0 and var del ? $"it holds the control character U+007F (DEL) at character {del + 1}"
        : null;

    /// <summary>A value as it can be quoted in a reason: at most 200 characters (a report line per row, not megabytes).</summary>
    private static string Excerpt(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static void Put(Dictionary<string, IReadOnlyList<string>> attributes, string key, string value)
    {
        if (value.Length > 0)
        {
            attributes[key] = [value];
        }
    }

    private static string Field(string[] fields, int index) => index >= 0 && index < fields.Length ? fields[index].Trim() : "";

    private static string ChannelName(Channel channel) => channel.ToString().ToLowerInvariant();

    private int Required(string column, string what)
    {
        if (!_columns.TryGetValue(column, out var index))
        {
            throw new InvalidImportMappingException($"{what} column '{column}' is not in the file's header ({string.Join(", ", _columns.Keys)}).");
        }

        // A header naming a mapped column twice: the first was read and the other silently ignored, when nothing says
        // which of the two holds what the mapping means.
        if (_repeated.TryGetValue(column, out var at))
        {
            throw new Running.InvalidImportFileException(
                $"{_fileName}: the header names '{column}' {at.Count} times (columns {string.Join(", ", at.Select(i => (i + 1).ToString(CultureInfo.InvariantCulture)))}), and the mapping reads it as its {what} column: which one is meant cannot be told; rename the others.");
        }

        return index;
    }

    private int Optional(string? column, string what) => column is null ? -1 : Required(column, what);
}

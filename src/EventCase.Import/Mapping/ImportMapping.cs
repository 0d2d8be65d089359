using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using CaseChannel = EventCase.Cases.Channel;

namespace EventCase.Import.Mapping;

/// <summary>
/// How one source system's CSV export becomes case streams: which columns hold what, how timestamps are written and in
/// which IANA zone they are local, how source statuses and channels map to ours, which columns are kept as
/// attributes, and what happens to rows that break a data-quality rule. A mapping is data (a JSON file, see
/// <c>docs/import.md</c>), so a new city needs a new mapping file, not a new release. Immutable once loaded; thread safe.
/// </summary>
public sealed record ImportMapping
{
    /// <summary>A short name of the source, recorded in every imported event's metadata (e.g. <c>boston-311</c>).</summary>
    public required string Source { get; init; }

    /// <summary>The IANA zone the source's wall-clock timestamps are local to (e.g. <c>America/New_York</c>); for
    /// timestamps with an offset, the zone whose local dates the case numbers and reports use.</summary>
    public required string TimeZone { get; init; }

    /// <summary>NodaTime pattern texts tried in order (invariant culture): <c>LocalDateTimePattern</c> texts for
    /// wall-clock times in <see cref="TimeZone"/>, e.g. <c>MM/dd/yyyy hh:mm:ss tt</c> or <c>yyyy-MM-dd HH:mm:ss</c>, and
    /// <c>OffsetDateTimePattern</c> texts for timestamps that carry their offset, e.g.
    /// <c>uuuu-MM-dd'T'HH:mm:sso&lt;G&gt;</c> for <c>2015-01-05T12:40:41-05:00</c> or <c>…41Z</c>.</summary>
    public required IReadOnlyList<string> TimestampFormats { get; init; }

    /// <summary>Which columns hold what.</summary>
    public required ColumnMap Columns { get; init; }

    /// <summary>Source status (exact text, compared ordinally after trimming) → lifecycle.</summary>
    public required IReadOnlyDictionary<string, SourceLifecycle> Statuses { get; init; }

    /// <summary>Source channel text → our channel. Values not listed break the <c>unknown-channel</c> rule.</summary>
    public IReadOnlyDictionary<string, CaseChannel> Channels { get; init; } = new Dictionary<string, CaseChannel>();

    /// <summary>The channel of rows with an empty or unknown channel column (unknown ones are also flagged or rejected).</summary>
    public CaseChannel DefaultChannel { get; init; } = CaseChannel.Phone;

    /// <summary>Columns copied verbatim into the opened event's attributes (empty values are left out). A re-import
    /// compares them: a value that differs in a newer export makes the case changed.</summary>
    public IReadOnlyList<string> Attributes { get; init; } = [];

    /// <summary>
    /// Columns the source derives or fills in as time passes rather than records once (Boston's <c>OnTime_Status</c>
    /// turns <c>OVERDUE</c> when an open case passes its target; <c>ClosedPhoto</c> appears when it closes). Copied
    /// into the opened event's attributes like <see cref="Attributes"/>, as the export that first imported the case had
    /// them, but not compared when a newer export is imported (like the <c>import.status</c> attribute): their
    /// values describe the export, not the case's past, so a new value neither makes the case changed nor rewrites
    /// what was stored. A column is in one list or the other.
    /// </summary>
    public IReadOnlyList<string> VolatileAttributes { get; init; } = [];

    /// <summary>How imported cases are numbered and named.</summary>
    public required CaseNaming Cases { get; init; }

    /// <summary>The team of rows whose queue column is empty (every imported case is assigned, so it can be resolved).</summary>
    public string DefaultTeam { get; init; } = "unrouted";

    /// <summary>The resolution code of cases closed in the source (their closure reason becomes the public summary).</summary>
    public string ResolutionCode { get; init; } = "closed-in-source";

    /// <summary>The agency that cases with a <see cref="SourceLifecycle.Transferred"/> status were handed to.</summary>
    public string TransferredToAgency { get; init; } = "external";

    /// <summary>
    /// The SLA target of cases without a source due date (<c>CaseOpened</c> always carries one): an ISO-8601
    /// duration of whole days, counted as calendar days. Such cases carry no <c>import.source_due</c> attribute, which is
    /// how statistics against the source due date tell them apart.
    /// </summary>
    public string DefaultSla { get; init; } = "P365D";

    /// <summary>Default points of the source for cases without a geocode (e.g. City Hall): the
    /// <c>placeholder-coordinates</c> rule.</summary>
    public IReadOnlyList<PlaceholderPoint> PlaceholderPoints { get; init; } = [];

    /// <summary>Per rule, reject the row or import it with a recorded flag. Rules not listed use their default
    /// (<see cref="QualityRules.DefaultPolicy"/>).</summary>
    public IReadOnlyDictionary<string, QualityPolicy> Quality { get; init; } = new Dictionary<string, QualityPolicy>();

    /// <summary>The policy of <paramref name="rule"/> under this mapping.</summary>
    public QualityPolicy PolicyFor(string rule) =>
        QualityRules.IsAlwaysRejected(rule) ? QualityPolicy.Reject
        : Quality.TryGetValue(rule, out var policy) ? policy
        : QualityRules.DefaultPolicy(rule);

    /// <summary>The JSON options mappings are read with: camelCase names, enums as camelCase strings, comments and
    /// trailing commas allowed.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and validates a mapping from JSON text.</summary>
    /// <exception cref="InvalidImportMappingException">The JSON is malformed or the mapping is inconsistent.</exception>
    public static ImportMapping Parse(string json)
    {
        ImportMapping? mapping;
        try
        {
            mapping = JsonSerializer.Deserialize<ImportMapping>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidImportMappingException($"the mapping is not valid JSON for an import mapping: {e.Message}", e);
        }

        if (mapping is null)
        {
            throw new InvalidImportMappingException("the mapping is empty.");
        }

        mapping.Validate();
        return mapping;
    }

    /// <summary>Reads and validates a mapping file.</summary>
    /// <exception cref="InvalidImportMappingException">The file's JSON is malformed or the mapping is inconsistent.</exception>
    public static async Task<ImportMapping> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        Parse(await File.ReadAllTextAsync(path, cancellationToken));

    /// <summary>Checks the mapping's internal consistency.</summary>
    /// <exception cref="InvalidImportMappingException">Something is missing or invalid; the message says what.</exception>
    public void Validate()
    {
        // Every field a JSON file can leave null or fill with nulls is checked here, so that a bad mapping is refused
        // when it is loaded, naming the field, rather than failing part-way through an import.
        Require(!string.IsNullOrWhiteSpace(Source), "source is required.");
        Require(DateTimeZoneProviders.Tzdb.GetZoneOrNull(TimeZone ?? "") is not null, $"timeZone '{TimeZone}' is not an IANA zone id.");
        Require(TimestampFormats is { Count: > 0 }, "timestampFormats needs at least one format.");
        for (var i = 0; i < TimestampFormats!.Count; i++)
        {
            var format = TimestampFormats[i];
            Require(!string.IsNullOrWhiteSpace(format), $"timestampFormats[{i}] is empty; each must be a NodaTime LocalDateTimePattern text, or an OffsetDateTimePattern text for timestamps with an offset.");
            try
            {
                _ = Synthesis.TimestampFormat.Create(format);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                // NodaTime reports a malformed pattern as InvalidPatternException, a FormatException.
                throw new InvalidImportMappingException($"timestampFormats[{i}] '{format}' is not a valid NodaTime pattern: {e.Message}", e);
            }
        }

        Require(Columns is not null, "columns is required.");
        Require(!string.IsNullOrWhiteSpace(Columns!.SourceId), "columns.sourceId is required.");
        Require(!string.IsNullOrWhiteSpace(Columns.Created), "columns.created is required.");
        Require(!string.IsNullOrWhiteSpace(Columns.Service), "columns.service is required.");
        Require(!string.IsNullOrWhiteSpace(Columns.Status), "columns.status is required.");
        foreach (var (name, column) in Columns.Optional)
        {
            Require(column is null || !string.IsNullOrWhiteSpace(column), $"columns.{name} is empty; name a column, or leave it out.");
        }

        Require((Columns.Latitude is null) == (Columns.Longitude is null), "columns.latitude and columns.longitude go together: give both or neither.");
        Require(Columns.Description is not null, "columns.description must be a list of column names (or be left out).");
        for (var i = 0; i < Columns.Description!.Count; i++)
        {
            Require(!string.IsNullOrWhiteSpace(Columns.Description[i]), $"columns.description[{i}] is empty or null; each must name a column.");
        }

        Require(Statuses is { Count: > 0 }, "statuses needs at least one source status.");
        Require(Channels is not null, "channels must be an object of source channel → channel (or be left out).");
        Require(Attributes is not null, "attributes must be a list of column names (or be left out).");
        for (var i = 0; i < Attributes!.Count; i++)
        {
            Require(!string.IsNullOrWhiteSpace(Attributes[i]), $"attributes[{i}] is empty or null; each must name a column.");
        }

        Require(VolatileAttributes is not null, "volatileAttributes must be a list of column names (or be left out).");
        for (var i = 0; i < VolatileAttributes!.Count; i++)
        {
            Require(!string.IsNullOrWhiteSpace(VolatileAttributes[i]), $"volatileAttributes[{i}] is empty or null; each must name a column.");
            Require(!Attributes.Contains(VolatileAttributes[i], StringComparer.Ordinal),
                $"volatileAttributes[{i}] '{VolatileAttributes[i]}' is also in attributes; a column is compared on re-import or not, so list it once.");
        }

        Require(Cases is not null, "cases is required.");
        Require(Cases!.NumberPrefix is { Length: >= 2 and <= 8 } p && char.IsAsciiLetterUpper(p[0]) && p.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)),
            $"cases.numberPrefix '{Cases.NumberPrefix}' must be 2–8 upper-case letters or digits starting with a letter.");
        Require(!string.IsNullOrEmpty(Cases.IdPrefix), "cases.idPrefix is required (it keeps imported stream ids apart from live ones).");
        Require(Statuses!.Values.Any(v => v == SourceLifecycle.Duplicate) is false || Columns.DuplicateOf is not null,
            "a status maps to duplicate, so columns.duplicateOf (the original's source id) is required.");
        Require(IsCode(DefaultTeam), $"defaultTeam '{DefaultTeam}' must be 1–64 letters, digits, '-', '_' or '.'.");
        Require(IsCode(TransferredToAgency), $"transferredToAgency '{TransferredToAgency}' must be 1–64 letters, digits, '-', '_' or '.'.");
        Require(!string.IsNullOrWhiteSpace(ResolutionCode) && ResolutionCode.Length <= 100, "resolutionCode must be 1–100 characters.");
        var sla = NodaTime.Text.PeriodPattern.NormalizingIso.Parse(DefaultSla ?? "");
        Require(sla.Success && sla.Value.Normalize() is { Days: > 0, Years: 0, Months: 0, Hours: 0, Minutes: 0, Seconds: 0, Milliseconds: 0 } ,
            $"defaultSla '{DefaultSla}' must be a whole number of days, e.g. P365D.");
        Require(PlaceholderPoints is not null, "placeholderPoints must be a list of points (or be left out).");
        for (var i = 0; i < PlaceholderPoints!.Count; i++)
        {
            var point = PlaceholderPoints[i];
            Require(point is not null, $"placeholderPoints[{i}] is null; each must be {{ \"latitude\", \"longitude\", \"tolerance\" }}.");
            Require(point!.Latitude is >= -90 and <= 90 && point.Longitude is >= -180 and <= 180 && point.Tolerance is >= 0 and < 1,
                $"placeholderPoints[{i}] ({point.Latitude}, {point.Longitude} ± {point.Tolerance}) must have a latitude of −90–90, a longitude of −180–180 and a tolerance of 0–1 degrees.");
        }

        Require(Quality is not null, "quality must be an object of rule → reject or flag (or be left out).");
        foreach (var rule in Quality!.Keys)
        {
            Require(QualityRules.All.Contains(rule), $"quality rule '{rule}' is unknown; known rules: {string.Join(", ", QualityRules.All)}.");
            Require(!QualityRules.IsAlwaysRejected(rule) || Quality[rule] == QualityPolicy.Reject,
                $"quality rule '{rule}' always rejects: a row without it cannot become a case.");
        }
    }

    /// <summary>The default SLA in days.</summary>
    internal int DefaultSlaDays => (int)NodaTime.Text.PeriodPattern.NormalizingIso.Parse(DefaultSla).Value.Normalize().Days;

    private static bool IsCode(string? value) =>
        value is { Length: >= 1 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidImportMappingException(problem);
        }
    }
}

/// <summary>The columns of the source (header names, compared exactly). Only <see cref="SourceId"/>,
/// <see cref="Created"/>, <see cref="Service"/> and <see cref="Status"/> are required.</summary>
public sealed record ColumnMap
{
    /// <summary>The source system's unique id of the request.</summary>
    public required string SourceId { get; init; }

    /// <summary>When the request was created.</summary>
    public required string Created { get; init; }

    /// <summary>When it last changed (the fallback instant of cancellations and transfers without a closed instant).</summary>
    public string? Updated { get; init; }

    /// <summary>The SLA due date/time.</summary>
    public string? Due { get; init; }

    /// <summary>When it was closed (also the instant of cancellations and transfers).</summary>
    public string? Closed { get; init; }

    /// <summary>The service type; becomes the service code (slugged) and the <c>import.service</c> attribute (verbatim).</summary>
    public required string Service { get; init; }

    /// <summary>The agency/department responsible in the source; kept as the <c>import.department</c> attribute (the
    /// agency of the imported case is the import's tenant).</summary>
    public string? Department { get; init; }

    /// <summary>The work queue; becomes the assigned team (slugged) and the <c>import.queue</c> attribute.</summary>
    public string? Queue { get; init; }

    /// <summary>The status, mapped through <see cref="ImportMapping.Statuses"/>.</summary>
    public required string Status { get; init; }

    /// <summary>The closure note; the public summary of the resolution.</summary>
    public string? ClosureReason { get; init; }

    /// <summary>The intake channel, mapped through <see cref="ImportMapping.Channels"/>.</summary>
    public string? Channel { get; init; }

    /// <summary>Columns tried in order for the description; the first non-empty wins, the service type text otherwise.</summary>
    public IReadOnlyList<string> Description { get; init; } = [];

    /// <summary>The address text.</summary>
    public string? Address { get; init; }

    /// <summary>The latitude (decimal degrees).</summary>
    public string? Latitude { get; init; }

    /// <summary>The longitude (decimal degrees).</summary>
    public string? Longitude { get; init; }

    /// <summary>A point column, used when latitude/longitude are empty: WKT <c>POINT (lon lat)</c> or <c>(lat, lon)</c>.</summary>
    public string? Point { get; init; }

    /// <summary>The source id of the case a duplicate duplicates (required when a status maps to duplicate).</summary>
    public string? DuplicateOf { get; init; }

    /// <summary>The optional single columns by their names in the mapping file.</summary>
    internal IEnumerable<(string Name, string? Column)> Optional =>
    [
        ("updated", Updated), ("due", Due), ("closed", Closed), ("department", Department), ("queue", Queue),
        ("closureReason", ClosureReason), ("channel", Channel), ("address", Address), ("latitude", Latitude),
        ("longitude", Longitude), ("point", Point), ("duplicateOf", DuplicateOf),
    ];
}

/// <summary>Where a source status leads in our lifecycle.</summary>
public enum SourceLifecycle
{
    /// <summary>Still open (opened and assigned to its queue).</summary>
    Open,

    /// <summary>Resolved and closed at the closed instant.</summary>
    Closed,

    /// <summary>Cancelled.</summary>
    Cancelled,

    /// <summary>Merged into another case (its source id in <see cref="ColumnMap.DuplicateOf"/>).</summary>
    Duplicate,

    /// <summary>Referred out / transferred to another agency (<see cref="ImportMapping.TransferredToAgency"/>).</summary>
    Transferred,
}

/// <summary>How imported cases are identified.</summary>
/// <param name="IdPrefix">Prefix of the case id (stream id): the case id is the prefix followed by the source id,
/// e.g. <c>bos311-101001242404</c>. Stable, so re-imports find the same streams.</param>
/// <param name="NumberPrefix">The case number prefix (2–8 upper-case letters or digits). Use one that live cases do not
/// use, since imported numbers are not drawn from the live sequences.</param>
/// <param name="NumberSequence">How the sequence part of the number is derived from the row.</param>
public sealed record CaseNaming(string IdPrefix, string NumberPrefix, NumberSequenceSource NumberSequence = NumberSequenceSource.SourceIdDigits);

/// <summary>Where the sequence part of an imported case number comes from (the year is the created instant's local year).</summary>
public enum NumberSequenceSource
{
    /// <summary>
    /// The source id's digits, the last nine of them when there are more (<c>1-870704831</c> → 870704831,
    /// <c>101001242404</c> → 1242404): stable across files. A case number holds nine digits and its year, so this is
    /// unique only among source ids of one year whose digits differ within their last nine: <c>101001242404</c> and
    /// <c>102001242404</c> would share a number, and so would <c>A1</c> and <c>B1</c>. Within a file, a row whose number
    /// an earlier row with another source id was given is rejected (<c>invalid-identifier</c>); across files (exports
    /// imported one after the other into one tenant) that cannot be seen. Fits sources whose ids are counters (Boston's,
    /// Los Angeles's), which never come back to the same last nine digits within a year.
    /// </summary>
    SourceIdDigits,

    /// <summary>The row number in the file: stable only for the same file, and unique only within it (another file
    /// imported into the same tenant gives its rows the same numbers).</summary>
    RowNumber,
}

/// <summary>A default coordinate the source writes for requests it could not geocode.</summary>
/// <param name="Latitude">Degrees north.</param>
/// <param name="Longitude">Degrees east.</param>
/// <param name="Tolerance">How close (degrees, both axes) a point must be to count as the placeholder.</param>
public sealed record PlaceholderPoint(double Latitude, double Longitude, double Tolerance = 0.00005);

/// <summary>What happens to a row that breaks a data-quality rule.</summary>
public enum QualityPolicy
{
    /// <summary>The row is not imported; it is listed in the rejects report.</summary>
    Reject,

    /// <summary>The row is imported with the flag recorded on its opened event (attribute <c>import.quality</c>) and in
    /// the report.</summary>
    Flag,
}

/// <summary>A mapping that cannot be used.</summary>
public sealed class InvalidImportMappingException(string problem, Exception? inner = null)
    : Exception("Invalid import mapping: " + problem, inner);

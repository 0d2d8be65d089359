namespace EventCase.Import.Mapping;

/// <summary>
/// The data-quality rules an import checks every row against, by their stable names (used in mappings and reports).
/// Structural rules always reject, because a row that breaks them cannot become a case; the others follow the mapping's
/// policy (reject, or import with a recorded flag). What a flag does to the imported case is stated per rule: the
/// importer never fixes a value without recording that it did.
/// </summary>
public static class QualityRules
{
    /// <summary>Always rejects: the source id, created timestamp, service or status is empty.</summary>
    public const string MissingRequiredField = "missing-required-field";

    /// <summary>Always rejects: the created timestamp matches none of the formats.</summary>
    public const string UnparseableCreated = "unparseable-created";

    /// <summary>Always rejects: a second row with a source id already seen in this file.</summary>
    public const string DuplicateSourceId = "duplicate-source-id";

    /// <summary>Always rejects: the row has another number of fields than the header, broken quoting, bytes that are
    /// not UTF-8, or a character events cannot carry (NUL, other control characters, noncharacters) in a mapped column.</summary>
    public const string MalformedRow = "malformed-row";

    /// <summary>Always rejects: the source id cannot form a case id or case number (too long, no digits), or its case
    /// number was given to another source id earlier in the file.</summary>
    public const string InvalidIdentifier = "invalid-identifier";

    /// <summary>Always rejects: the history the row describes is one the case's rules refuse (a case marked a duplicate
    /// of itself, a closure reason longer than a case allows, a transfer to the agency itself): imported events are
    /// immutable, so nothing the service itself would refuse is written.</summary>
    public const string RefusedHistory = "refused-history";

    /// <summary>A due, closed or updated timestamp matches none of the formats. Flag: the value is treated as absent.</summary>
    public const string UnparseableDate = "unparseable-date";

    /// <summary>The status is not in the mapping. Flag: the case is imported as open.</summary>
    public const string UnknownStatus = "unknown-status";

    /// <summary>The closed (or terminal) instant is before the created instant. Flag: both are kept as the source has them.</summary>
    public const string CloseBeforeOpen = "close-before-open";

    /// <summary>A status that ends the case but no closed (nor updated) instant. Flag: the case is left open.</summary>
    public const string MissingClosedDate = "missing-closed-date";

    /// <summary>The due instant is not after the created instant. Flag: the default SLA target is used (the source due
    /// is still recorded).</summary>
    public const string DueBeforeOpen = "due-before-open";

    /// <summary>The coordinates are the source's default point (e.g. Boston City Hall). Flag: the point is dropped (the
    /// address is kept).</summary>
    public const string PlaceholderCoordinates = "placeholder-coordinates";

    /// <summary>The coordinates cannot be parsed or are out of range. Flag: the point is dropped.</summary>
    public const string InvalidCoordinates = "invalid-coordinates";

    /// <summary>The channel is not in the mapping. Flag: the mapping's default channel is used.</summary>
    public const string UnknownChannel = "unknown-channel";

    /// <summary>A local timestamp falls in a DST gap (it never happened on the wall clock). Flag: it is shifted forward
    /// by the length of the gap (NodaTime's lenient resolver).</summary>
    public const string SkippedLocalTime = "skipped-local-time";

    /// <summary>A local timestamp falls in a DST overlap (it happened twice). Flag: the earlier instant is taken.</summary>
    public const string AmbiguousLocalTime = "ambiguous-local-time";

    /// <summary>Every rule name.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        MissingRequiredField, UnparseableCreated, DuplicateSourceId, MalformedRow, InvalidIdentifier, RefusedHistory,
        UnparseableDate, UnknownStatus, CloseBeforeOpen, MissingClosedDate, DueBeforeOpen,
        PlaceholderCoordinates, InvalidCoordinates, UnknownChannel, SkippedLocalTime, AmbiguousLocalTime,
    ];

    /// <summary>True for the structural rules, which always reject.</summary>
    public static bool IsAlwaysRejected(string rule) =>
        rule is MissingRequiredField or UnparseableCreated or DuplicateSourceId or MalformedRow or InvalidIdentifier or RefusedHistory;

    /// <summary>The policy of a rule the mapping does not mention: reject for rules that make the lifecycle doubtful
    /// (dates, statuses), flag for those that only lose detail (coordinates, channel, DST resolution, due dates).</summary>
    public static QualityPolicy DefaultPolicy(string rule) => rule switch
    {
        UnparseableDate or UnknownStatus or CloseBeforeOpen or MissingClosedDate => QualityPolicy.Reject,
        _ when IsAlwaysRejected(rule) => QualityPolicy.Reject,
        _ => QualityPolicy.Flag,
    };
}

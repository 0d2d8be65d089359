using System.Text.Json.Serialization;

namespace EventCase.Cases.Catalog;

/// <summary>The Open311 datatype of a service attribute.</summary>
public enum AttributeDatatype
{
    /// <summary>A short line of text.</summary>
    String,

    /// <summary>A number, written with invariant culture (<c>12.5</c>).</summary>
    Number,

    /// <summary>An ISO-8601 date and time (<c>2026-03-08T09:30:00-05:00</c>, <c>2026-03-08T14:30:00Z</c>, <c>2026-03-08T09:30:00</c> or <c>2026-03-08</c>).</summary>
    Datetime,

    /// <summary>Free text of any length.</summary>
    Text,

    /// <summary>Exactly one key from <see cref="ServiceAttribute.Values"/>.</summary>
    SingleValueList,

    /// <summary>One or more keys from <see cref="ServiceAttribute.Values"/>.</summary>
    MultiValueList,
}

/// <summary>One allowed value of a list attribute.</summary>
/// <param name="Key">What a request sends.</param>
/// <param name="Name">What a person sees.</param>
public sealed record AttributeValue(string Key, string Name);

/// <summary>
/// An attribute a request for a service carries: an Open311 service definition attribute.
/// </summary>
/// <param name="Code">The attribute code, unique within the service.</param>
/// <param name="Datatype">What kind of value it takes.</param>
/// <param name="Required">Whether a request must give it.</param>
/// <param name="Description">The question put to the citizen.</param>
/// <param name="Order">Display order (ascending).</param>
/// <param name="Values">Allowed values of list attributes; empty for the others.</param>
/// <param name="Variable">False for an informational attribute that takes no input (Open311 <c>variable=false</c>).</param>
/// <param name="DatatypeDescription">A hint about the expected format, if any.</param>
public sealed record ServiceAttribute(
    string Code,
    AttributeDatatype Datatype,
    bool Required,
    string Description,
    int Order,
    IReadOnlyList<AttributeValue> Values,
    bool Variable = true,
    string? DatatypeDescription = null)
{
    /// <summary>True for single- and multi-value list attributes. Derived from <see cref="Datatype"/>, so not stored.</summary>
    [JsonIgnore]
    public bool IsList => Datatype is AttributeDatatype.SingleValueList or AttributeDatatype.MultiValueList;
}

/// <summary>Why an attribute of a request was refused.</summary>
public enum AttributeErrorKind
{
    /// <summary>A required attribute was not given (or only blank).</summary>
    Missing,

    /// <summary>The service has no attribute with this code.</summary>
    Unknown,

    /// <summary>The attribute is informational and takes no input.</summary>
    NotAnInput,

    /// <summary>A value of a number attribute is not a number.</summary>
    NotANumber,

    /// <summary>A value of a datetime attribute is not an ISO-8601 date or date and time.</summary>
    NotADateTime,

    /// <summary>A value of a list attribute is not one of its keys.</summary>
    NotInList,

    /// <summary>Several values were given for an attribute that takes one.</summary>
    TooManyValues,
}

/// <summary>One problem with one attribute of a request.</summary>
/// <param name="AttributeCode">The attribute concerned.</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Message">The problem in plain words.</param>
public sealed record AttributeError(string AttributeCode, AttributeErrorKind Kind, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

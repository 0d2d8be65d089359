using System.Text.Json;
using System.Text.Json.Serialization;

namespace Open311Intake;

/// <summary>A service from <c>services.json</c>.</summary>
internal sealed record Open311Service(
    string ServiceCode,
    string ServiceName,
    string? Description,
    [property: JsonConverter(typeof(LenientBooleanConverter))] bool Metadata,
    string? Type,
    string? Keywords,
    string? Group);

/// <summary>A service definition from <c>services/{code}.json</c>: the attributes a request may or must carry.</summary>
internal sealed record Open311ServiceDefinition(string ServiceCode, IReadOnlyList<Open311Attribute> Attributes);

/// <summary>One attribute of a service definition.</summary>
internal sealed record Open311Attribute(
    [property: JsonConverter(typeof(LenientBooleanConverter))] bool Variable,
    string Code,
    string Datatype,
    [property: JsonConverter(typeof(LenientBooleanConverter))] bool Required,
    string? DatatypeDescription,
    int Order,
    string? Description,
    IReadOnlyList<Open311AttributeValue>? Values);

/// <summary>One allowed value of a list attribute.</summary>
internal sealed record Open311AttributeValue(string Key, string Name);

/// <summary>What a new request says: the spec's form fields of <c>POST requests.json</c>.</summary>
internal sealed record Open311NewRequest(string ServiceCode)
{
    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    public string? Address { get; init; }

    public string? Description { get; init; }

    public string? Email { get; init; }

    public string? FirstName { get; init; }

    public string? LastName { get; init; }

    public string? Phone { get; init; }

    public string? DeviceId { get; init; }

    public string? AccountId { get; init; }

    /// <summary>Attribute code → values (more than one for a multivaluelist).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// The answer to <c>POST requests.json</c>. GeoReport v2 lets a server answer with only a <c>token</c> when the
/// request id is not known yet; <see cref="Open311Client.FileAsync"/> then asks <c>tokens/{token}.json</c>.
/// </summary>
internal sealed record Open311Receipt(string? ServiceRequestId, string? Token, string? ServiceNotice, string? AccountId);

/// <summary>A service request from <c>requests/{id}.json</c>.</summary>
internal sealed record Open311ServiceRequest(
    string ServiceRequestId,
    string Status,
    string? StatusNotes,
    string? ServiceName,
    string? ServiceCode,
    string? Description,
    string? AgencyResponsible,
    string? ServiceNotice,
    DateTimeOffset? RequestedDatetime,
    DateTimeOffset? UpdatedDatetime,
    DateTimeOffset? ExpectedDatetime,
    string? Address,
    double? Lat,
    double? Long,
    string? MediaUrl)
{
    /// <summary>The spec knows two statuses; anything but <c>closed</c> is still being worked.</summary>
    public bool IsClosed => string.Equals(Status, "closed", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One entry of GeoReport's error list: <c>[{"code":400,"description":"…"}]</c>.</summary>
internal sealed record Open311Error(int Code, string Description);

/// <summary>
/// Reads <c>true</c>, <c>false</c>, <c>"true"</c> and <c>"false"</c>: the spec's examples are XML, and JSON servers in
/// the wild send booleans either way.
/// </summary>
internal sealed class LenientBooleanConverter : JsonConverter<bool>
{
    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.String when bool.TryParse(reader.GetString(), out var value) => value,
        JsonTokenType.Null => false,
        _ => throw new JsonException($"Expected a boolean, got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}

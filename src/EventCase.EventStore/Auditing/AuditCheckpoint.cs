using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace EventCase.EventStore.Auditing;

/// <summary>One stream's head in a checkpoint: its version and its last event's hash at the time.</summary>
/// <param name="StreamId">The stream id within the checkpoint's tenant.</param>
/// <param name="Version">The stream's version.</param>
/// <param name="Head">The hash of the event at that version.</param>
public sealed record CheckpointHead(string StreamId, long Version, AuditHash Head);

/// <summary>
/// A signed statement of all stream heads of a tenant at one moment: a Merkle root over the heads (see
/// <see cref="MerkleTree"/>), signed with ECDSA P-256. Published to auditors as JSON
/// (<see cref="WriteJsonAsync"/>, <see cref="ReadJsonAsync"/>); verified against a store later by
/// <see cref="AuditCheckpoints.VerifyAsync(AuditCheckpoint, string?, CancellationToken)"/>. Immutable.
/// </summary>
/// <param name="Tenant">Whose streams.</param>
/// <param name="CreatedAt">When it was taken (microsecond precision).</param>
/// <param name="StreamCount">How many streams (and leaves).</param>
/// <param name="EventCount">How many events, the sum of the heads' versions.</param>
/// <param name="MerkleRoot">The root over <paramref name="Heads"/>.</param>
/// <param name="Algorithm">The signature algorithm: <see cref="CheckpointSigningKey.Algorithm"/>.</param>
/// <param name="KeyId">The signing key's id (<see cref="CheckpointSigningKey.KeyId"/>).</param>
/// <param name="PublicKeyPem">The signing key's public key, as PEM.</param>
/// <param name="Signature">The signature of <see cref="SignedBytes()"/>.</param>
/// <param name="Heads">Every stream head of the tenant, in stream-id order (<see cref="MerkleTree.CompareStreamIds"/>).</param>
public sealed record AuditCheckpoint(
    string Tenant,
    Instant CreatedAt,
    long StreamCount,
    long EventCount,
    AuditHash MerkleRoot,
    string Algorithm,
    string KeyId,
    string PublicKeyPem,
    byte[] Signature,
    IReadOnlyList<CheckpointHead> Heads)
{
    /// <summary>The value of the JSON's <c>format</c> member, and the domain tag the signature covers.</summary>
    public const string Format = "eventcase.audit-checkpoint.v1";

    private static readonly InstantPattern Micros = InstantPattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'");

    /// <summary>
    /// What the signature covers: the ASCII format tag, a zero byte, int32 BE length and UTF-8 tenant, int64 BE
    /// created-at in microseconds since the Unix epoch, int64 BE stream count, int64 BE event count, the 32-byte root.
    /// The heads are covered through the root.
    /// </summary>
    public byte[] SignedBytes() => SignedBytes(Tenant, CreatedAt, StreamCount, EventCount, MerkleRoot);

    internal static byte[] SignedBytes(string tenant, Instant createdAt, long streamCount, long eventCount, AuditHash root)
    {
        var tag = Encoding.ASCII.GetBytes(Format);
        var tenantBytes = Encoding.UTF8.GetBytes(tenant);
        var bytes = new byte[tag.Length + 1 + 4 + tenantBytes.Length + 24 + AuditHash.Length];
        var span = bytes.AsSpan();
        tag.CopyTo(span);
        var at = tag.Length + 1;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], tenantBytes.Length);
        tenantBytes.CopyTo(span[(at + 4)..]);
        at += 4 + tenantBytes.Length;
        BinaryPrimitives.WriteInt64BigEndian(span[at..], createdAt.ToUnixTimeTicks() / 10);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 8)..], streamCount);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 16)..], eventCount);
        root.CopyTo(span[(at + 24)..]);
        return bytes;
    }

    /// <summary>Writes the checkpoint as a JSON document (UTF-8).</summary>
    public async Task WriteJsonAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteString("tenant", Tenant);
        json.WriteString("createdAt", Micros.Format(CreatedAt));
        json.WriteNumber("streamCount", StreamCount);
        json.WriteNumber("eventCount", EventCount);
        json.WriteString("merkleRoot", MerkleRoot.ToString());
        json.WriteString("algorithm", Algorithm);
        json.WriteString("keyId", KeyId);
        json.WriteString("publicKey", PublicKeyPem);
        json.WriteString("signature", Convert.ToBase64String(Signature));
        json.WriteStartArray("heads");
        foreach (var head in Heads)
        {
            json.WriteStartObject();
            json.WriteString("streamId", head.StreamId);
            json.WriteNumber("version", head.Version);
            json.WriteString("headHash", head.Head.ToString());
            json.WriteEndObject();
            if (json.BytesPending > 64 * 1024)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    /// <summary>Reads a checkpoint written by <see cref="WriteJsonAsync"/>. Does not verify it.</summary>
    /// <exception cref="FormatException">Not JSON, or not a checkpoint of this format (a member missing, or not of its kind).</exception>
    public static async Task<AuditCheckpoint> ReadJsonAsync(Stream source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(source, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new FormatException("The audit checkpoint is not JSON: " + e.Message, e);
        }

        using var _ = document;
        var root = document.RootElement;
        var format = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var member) && member.ValueKind == JsonValueKind.String
            ? member.GetString()
            : null;
        if (!string.Equals(format, Format, StringComparison.Ordinal))
        {
            throw new FormatException($"Not an audit checkpoint of format {Format} (format: '{format}').");
        }

        try
        {
            var created = Micros.Parse(Text(root, "createdAt"));
            if (!created.Success)
            {
                throw new FormatException("\"createdAt\" is not an instant like 2026-03-03T14:00:00.123456Z.");
            }

            var headsArray = Member(root, "heads") is { ValueKind: JsonValueKind.Array } array
                ? array
                : throw new FormatException("\"heads\" is not an array.");
            var heads = new List<CheckpointHead>(headsArray.GetArrayLength());
            foreach (var element in headsArray.EnumerateArray())
            {
                var where = $"heads[{heads.Count}]";
                try
                {
                    var head = Object(element, where);
                    heads.Add(new CheckpointHead(Text(head, "streamId"), Whole(head, "version"), Hash(head, "headHash")));
                }
                catch (FormatException e)
                {
                    throw new FormatException($"{where}: {e.Message}", e);
                }
            }

            return new AuditCheckpoint(
                Text(root, "tenant"),
                created.Value,
                Whole(root, "streamCount"),
                Whole(root, "eventCount"),
                Hash(root, "merkleRoot"),
                Text(root, "algorithm"),
                Text(root, "keyId"),
                Text(root, "publicKey"),
                Base64(root, "signature"),
                heads);
        }
        catch (FormatException e)
        {
            // Each failure names the member it is about, so that an altered or garbled file says where.
            throw new FormatException("The audit checkpoint JSON is incomplete or malformed: " + e.Message, e);
        }
    }

    private static JsonElement Object(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new FormatException($"{what} is not a JSON object.");

    private static JsonElement Member(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value : throw new FormatException($"it has no \"{name}\".");

    /// <summary>A member that must be a string: a null (or any other kind of value) makes the document malformed, rather
    /// than a checkpoint with a missing value that fails later, far from the file.</summary>
    private static string Text(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.String } value
            ? value.GetString()!
            : throw new FormatException($"\"{name}\" is not a string.");

    private static long Whole(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number)
            ? number
            : throw new FormatException($"\"{name}\" is not a whole number.");

    private static byte[] Base64(JsonElement element, string name)
    {
        var text = Text(element, name);
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"\"{name}\" is not base64.", e);
        }
    }

    private static AuditHash Hash(JsonElement element, string name) =>
        AuditHash.TryParse(Text(element, name), out var hash) ? hash : throw new FormatException($"\"{name}\" is not an audit hash (64 hex digits).");

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"checkpoint of {Tenant} at {Micros.Format(CreatedAt)}: {StreamCount} streams, {EventCount} events, root {MerkleRoot}");
}

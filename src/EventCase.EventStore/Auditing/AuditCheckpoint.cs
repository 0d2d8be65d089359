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
        try
        {
            var root = document.RootElement;
            var format = Text(root, "format");
            if (!string.Equals(format, Format, StringComparison.Ordinal))
            {
                throw new FormatException($"Not an audit checkpoint of format {Format} (format: '{format}').");
            }

            var created = Micros.Parse(Text(root, "createdAt"));
            var heads = new List<CheckpointHead>(root.GetProperty("heads").GetArrayLength());
            foreach (var head in root.GetProperty("heads").EnumerateArray())
            {
                heads.Add(new CheckpointHead(
                    Text(head, "streamId"),
                    head.GetProperty("version").GetInt64(),
                    AuditHash.Parse(Text(head, "headHash"))));
            }

            return new AuditCheckpoint(
                Text(root, "tenant"),
                created.GetValueOrThrow(),
                root.GetProperty("streamCount").GetInt64(),
                root.GetProperty("eventCount").GetInt64(),
                AuditHash.Parse(Text(root, "merkleRoot")),
                Text(root, "algorithm"),
                Text(root, "keyId"),
                Text(root, "publicKey"),
                Convert.FromBase64String(Text(root, "signature")),
                heads);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or UnparsableValueException)
        {
            throw new FormatException("The audit checkpoint JSON is incomplete or malformed: " + e.Message, e);
        }
    }

    /// <summary>A member that must be a string: a null (or any other kind of value) makes the document malformed, rather
    /// than a checkpoint with a missing value that fails later, far from the file.</summary>
    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name) is { ValueKind: JsonValueKind.String } value
            ? value.GetString()!
            : throw new InvalidOperationException($"'{name}' is not a string.");

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"checkpoint of {Tenant} at {Micros.Format(CreatedAt)}: {StreamCount} streams, {EventCount} events, root {MerkleRoot}");
}

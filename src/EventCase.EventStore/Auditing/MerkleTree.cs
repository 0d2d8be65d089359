using System.Buffers.Binary;
using System.Text;

namespace EventCase.EventStore.Auditing;

/// <summary>
/// The Merkle tree of a checkpoint: leaves are stream heads in stream-id order, nodes are SHA-256 with RFC 6962's
/// domain separation (0x00 before a leaf, 0x01 before two children), and an odd node at the end of a level is carried
/// up unchanged (never paired with itself). The root of no leaves is SHA-256 of nothing. Built incrementally with
/// O(log n) memory. Not thread safe.
/// </summary>
public sealed class MerkleTree
{
    private readonly List<(int Height, AuditHash Hash)> _stack = [];

    /// <summary>How many leaves were added.</summary>
    public long Count { get; private set; }

    /// <summary>The leaf of a stream head: SHA-256(0x00 ‖ int32 BE UTF-8 length ‖ stream id ‖ head hash ‖ int64 BE version).</summary>
    public static AuditHash Leaf(string streamId, AuditHash head, long version)
    {
        ArgumentNullException.ThrowIfNull(streamId);
        var id = Encoding.UTF8.GetBytes(streamId);
        var bytes = new byte[1 + 4 + id.Length + AuditHash.Length + 8];
        bytes[0] = 0x00;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), id.Length);
        id.CopyTo(bytes, 5);
        head.CopyTo(bytes.AsSpan(5 + id.Length));
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(5 + id.Length + AuditHash.Length), version);
        return AuditHash.Compute(bytes);
    }

    /// <summary>An inner node: SHA-256(0x01 ‖ left ‖ right).</summary>
    public static AuditHash Node(AuditHash left, AuditHash right)
    {
        Span<byte> bytes = stackalloc byte[1 + (2 * AuditHash.Length)];
        bytes[0] = 0x01;
        left.CopyTo(bytes[1..]);
        right.CopyTo(bytes[(1 + AuditHash.Length)..]);
        return AuditHash.Compute(bytes);
    }

    /// <summary>Adds the next leaf (leaves must come in stream-id order: see <see cref="CompareStreamIds"/>).</summary>
    public void Add(AuditHash leaf)
    {
        Count++;
        var height = 0;
        var hash = leaf;
        // Pairing level by level from the left: two complete subtrees of equal height merge at once.
        while (_stack.Count > 0 && _stack[^1].Height == height)
        {
            hash = Node(_stack[^1].Hash, hash);
            _stack.RemoveAt(_stack.Count - 1);
            height++;
        }

        _stack.Add((height, hash));
    }

    /// <summary>The root of the leaves added so far.</summary>
    public AuditHash Root()
    {
        if (_stack.Count == 0)
        {
            return AuditHash.Compute([]);
        }

        // The complete subtrees left on the stack shrink from left to right; carrying odd nodes up unchanged makes
        // the root their fold from the right.
        var root = _stack[^1].Hash;
        for (var i = _stack.Count - 2; i >= 0; i--)
        {
            root = Node(_stack[i].Hash, root);
        }

        return root;
    }

    /// <summary>The order of leaves: by the stream ids' UTF-8 bytes (PostgreSQL's <c>COLLATE "C"</c>), which is code
    /// point order and independent of any locale.</summary>
    public static int CompareStreamIds(string left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var a = left.AsSpan();
        var b = right.AsSpan();
        while (!a.IsEmpty && !b.IsEmpty)
        {
            Rune.DecodeFromUtf16(a, out var ra, out var na);
            Rune.DecodeFromUtf16(b, out var rb, out var nb);
            var byRune = ra.Value.CompareTo(rb.Value);
            if (byRune != 0)
            {
                return byRune;
            }

            a = a[na..];
            b = b[nb..];
        }

        return a.Length.CompareTo(b.Length);
    }
}

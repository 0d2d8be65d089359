using EventCase.EventStore.Auditing;

namespace EventCase.EventStore.Tests.Auditing;

public sealed class MerkleTreeTests
{
    [Fact]
    public void The_incremental_root_equals_pairing_level_by_level_and_carrying_an_odd_node_up_for_every_count()
    {
        for (var count = 0; count <= 40; count++)
        {
            var leaves = Enumerable.Range(0, count).Select(i => MerkleTree.Leaf($"s{i:D3}", AuditHash.Compute([(byte)i]), i + 1)).ToList();
            var tree = new MerkleTree();
            leaves.ForEach(tree.Add);

            Assert.Equal(LevelByLevel(leaves), tree.Root());
        }
    }

    [Fact]
    public void Leaves_and_nodes_are_domain_separated_so_a_node_is_never_a_leaf()
    {
        var a = AuditHash.Compute([1]);
        var b = AuditHash.Compute([2]);

        Assert.Equal(AuditHash.Compute([0x01, .. a.ToArray(), .. b.ToArray()]), MerkleTree.Node(a, b));
        Assert.Equal(
            AuditHash.Compute([0x00, 0, 0, 0, 1, (byte)'x', .. a.ToArray(), 0, 0, 0, 0, 0, 0, 0, 7]),
            MerkleTree.Leaf("x", a, 7));
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("a", "a", 0)]
    [InlineData("ab", "a", 1)]
    [InlineData("Z", "a", -1)]
    [InlineData("\uFFFD", "😀", -1)]
    public void Stream_ids_are_ordered_by_their_utf8_bytes_not_by_utf16_code_units(string left, string right, int sign)
    {
        Assert.Equal(sign, Math.Sign(MerkleTree.CompareStreamIds(left, right)));
        Assert.Equal(sign, Math.Sign(System.Text.Encoding.UTF8.GetBytes(left).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(right))));
    }

    private static AuditHash LevelByLevel(List<AuditHash> leaves)
    {
        if (leaves.Count == 0)
        {
            return AuditHash.Compute([]);
        }

        var level = leaves;
        while (level.Count > 1)
        {
            var next = new List<AuditHash>();
            for (var i = 0; i < level.Count; i += 2)
            {
                next.Add(i + 1 < level.Count ? MerkleTree.Node(level[i], level[i + 1]) : level[i]);
            }

            level = next;
        }

        return level[0];
    }
}

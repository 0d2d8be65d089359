using System.Buffers.Text;
using EventCase.Cases.ReadModels;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class CursorTests
{
    [Fact]
    public void A_cursor_reads_back_as_the_parts_it_was_made_of()
    {
        var cursor = ReadModelText.EncodeCursor("638000000000000000", "case-1");

        Assert.Equal(["638000000000000000", "case-1"], ReadModelText.DecodeCursor(cursor, 2));
    }

    [Theory]
    [InlineData("0\na\u0000b")]
    [InlineData("0\na\u0001b")]
    public void A_forged_cursor_with_a_control_character_is_not_a_cursor(string content)
    {
        // Its parts go to PostgreSQL as parameters, which refuses NUL in text: refused here, as a bad cursor.
        var forged = Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(content));

        Assert.Throws<ArgumentException>(() => ReadModelText.DecodeCursor(forged, 2));
    }
}

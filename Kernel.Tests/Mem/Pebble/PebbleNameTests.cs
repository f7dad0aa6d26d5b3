using Kernel.Mem.Pebble;
using Xunit;

namespace Kernel.Tests.Mem.Pebble;

/// <summary>The name a pebble header keeps: 16 bytes in two little-endian words, zero-padded, non-ASCII as '?'.</summary>
public class PebbleNameTests
{
    [Fact]
    public void A_short_name_fills_the_first_word_from_its_low_byte_and_leaves_the_second_empty()
    {
        Kernel.Mem.Pebble.Pebble.PackName("ide", out ulong name0, out ulong name1);

        Assert.Equal((ulong)'i' | (ulong)'d' << 8 | (ulong)'e' << 16, name0);
        Assert.Equal(0UL, name1);
    }

    [Fact]
    public void A_name_of_exactly_eight_characters_fills_the_first_word_only()
    {
        Kernel.Mem.Pebble.Pebble.PackName("membench", out ulong name0, out ulong name1);

        Assert.Equal(0x68636E65626D656DUL, name0);
        Assert.Equal(0UL, name1);
    }

    [Fact]
    public void A_long_name_keeps_its_first_sixteen_characters_across_both_words()
    {
        Kernel.Mem.Pebble.Pebble.PackName("0123456789abcdefXYZ", out ulong name0, out ulong name1);

        Assert.Equal(0x3736353433323130UL, name0);
        Assert.Equal(0x6665646362613938UL, name1);
        Assert.Equal(16, Kernel.Mem.Pebble.Pebble.NameLength(name0, name1));
    }

    [Fact]
    public void Non_ascii_characters_become_question_marks_and_null_packs_nothing()
    {
        Kernel.Mem.Pebble.Pebble.PackName("a\u00e9b\u4e2d0123456789", out ulong name0, out ulong name1);
        Kernel.Mem.Pebble.Pebble.PackName(null, out ulong none0, out ulong none1);

        Assert.Equal((byte)'?', Kernel.Mem.Pebble.Pebble.NameByte(name0, name1, 1));
        Assert.Equal((byte)'?', Kernel.Mem.Pebble.Pebble.NameByte(name0, name1, 3));
        Assert.Equal((byte)'9', Kernel.Mem.Pebble.Pebble.NameByte(name0, name1, 13));
        Assert.Equal(0, Kernel.Mem.Pebble.Pebble.NameByte(name0, name1, 14));
        Assert.Equal(0UL, none0 | none1);
    }
}

using EfficientNet.Batch.Worker.Preprocessing;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

public class GifTransparencyTests
{
    // Global table: index 0 = (10, 20, 30), index 1 = (200, 100, 50).
    private static readonly byte[] GlobalTable = [10, 20, 30, 200, 100, 50];

    /// <summary>A 2x1 GIF89a whose pixels are indices 0 and 1 (LZW, minimum code size 2), index 1 transparent.</summary>
    private static byte[] Gif(bool transparent = true, byte[]? localTable = null)
    {
        var bytes = new List<byte>();
        bytes.AddRange("GIF89a"u8.ToArray());
        bytes.AddRange([2, 0, 1, 0, 0x80, 0, 0]);
        bytes.AddRange(GlobalTable);
        bytes.AddRange([0x21, 0xfe, 2, (byte)'h', (byte)'i', 0]); // a comment before the control block
        bytes.AddRange([0x21, 0xf9, 4, (byte)(transparent ? 1 : 0), 0, 0, 1, 0]);
        bytes.AddRange([0x2c, 0, 0, 0, 0, 2, 0, 1, 0, (byte)(localTable is null ? 0 : 0x80)]);
        if (localTable is not null)
        {
            bytes.AddRange(localTable);
        }

        bytes.AddRange([2, 2, 0x44, 0x0a, 0]); // codes clear, 0, 1, end
        bytes.Add(0x3b);
        return [.. bytes];
    }

    [Fact]
    public void The_transparent_index_colour_comes_from_the_global_table()
    {
        Assert.Equal(0xc86432, GifTransparency.FirstFrameColour(Gif()));
    }

    [Fact]
    public void A_local_colour_table_wins_over_the_global_one()
    {
        Assert.Equal(0x0a0b0c, GifTransparency.FirstFrameColour(Gif(localTable: [1, 2, 3, 10, 11, 12])));
    }

    [Fact]
    public void A_gif_without_a_transparent_index_has_no_transparent_colour()
    {
        Assert.Null(GifTransparency.FirstFrameColour(Gif(transparent: false)));
        Assert.Null(GifTransparency.FirstFrameColour("GIF89a"u8));
        Assert.Null(GifTransparency.FirstFrameColour("\x89PNG"u8));
    }

    [Fact]
    public void Decoded_transparent_pixels_take_the_palette_colour_as_pil_convert_rgb_gives_them()
    {
        using var decoded = new ImageDecoder(new PreprocessingOptions()).Decode(Gif());

        Assert.Equal(new byte[] { 10, 20, 30, 200, 100, 50 }, decoded.Pixels.ToArray());
    }
}

using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Preprocessing;
using NetVips;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

public class ImageDecoderTests
{
    private static readonly ImageDecoder Decoder = new(new PreprocessingOptions());

    [Fact]
    public void Greyscale_is_replicated_into_three_equal_channels()
    {
        var grey = TestImages.Pattern(9, 5, bands: 1);

        using var decoded = Decoder.Decode(TestImages.Encode(grey, 9, 5, 1));

        Assert.Equal(grey.SelectMany(v => new[] { v, v, v }), decoded.Pixels.ToArray());
    }

    [Fact]
    public void Grey_with_alpha_keeps_the_grey_and_drops_the_alpha()
    {
        var greyAlpha = TestImages.Pixels(9, 5, 2, (x, y, b) => b == 0 ? (x * 20) + y : x * 7);

        using var decoded = Decoder.Decode(TestImages.Encode(greyAlpha, 9, 5, 2));

        Assert.Equal(greyAlpha.Chunk(2).SelectMany(p => new[] { p[0], p[0], p[0] }), decoded.Pixels.ToArray());
    }

    [Fact]
    public void Alpha_is_dropped_without_compositing_as_pil_convert_rgb_does()
    {
        // Fully transparent pixels keep their colour: PIL's convert('RGB') ignores alpha, so the model saw these colours.
        var rgba = TestImages.Pixels(9, 5, 4, (x, y, b) => b == 3 ? (x % 2) * 255 : (x * 25) + (y * 3) + b);

        using var decoded = Decoder.Decode(TestImages.Encode(rgba, 9, 5, 4));

        Assert.Equal(rgba.Chunk(4).SelectMany(p => p[..3]), decoded.Pixels.ToArray());
    }

    [Fact]
    public void A_palette_image_is_expanded_to_its_colours()
    {
        var rgb = TestImages.Pixels(16, 8, 3, (x, _, b) => x < 8 ? 200 - (b * 50) : 30 + (b * 70));

        using var decoded = Decoder.Decode(TestImages.Encode(rgb, 16, 8, 3, ".png[palette,dither=0]"));

        Assert.Equal(rgb, decoded.Pixels.ToArray());
    }

    [Fact]
    public void Cmyk_is_converted_with_pils_formula_not_colour_managed()
    {
        // Expected values: PIL 9.4, Image.new('CMYK', (1, 1), cmyk).convert('RGB').
        byte[][] cmyk = [[10, 200, 255, 60], [0, 0, 0, 0], [255, 255, 255, 255], [128, 64, 32, 16], [3, 250, 77, 201]];
        byte[][] rgb = [[187, 42, 0], [255, 255, 255], [0, 0, 0], [119, 179, 209], [53, 1, 38]];

        var tiff = TestImages.Encode(cmyk.SelectMany(p => p).ToArray(), 5, 1, 4, ".tif", Enums.Interpretation.Cmyk);
        using var decoded = Decoder.Decode(tiff);

        Assert.Equal(rgb.SelectMany(p => p), decoded.Pixels.ToArray());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void Sixteen_bit_samples_keep_their_high_byte(int bands)
    {
        var samples = Enumerable.Range(0, 6 * 4 * bands).Select(i => (ushort)((i * 2741) % 65536)).ToArray();
        using var image = VipsImage.NewFromMemory(samples, 6, 4, bands, Enums.BandFormat.Ushort);
        using var tagged = image.Copy(interpretation: bands == 3 ? Enums.Interpretation.Rgb16 : Enums.Interpretation.Grey16);

        using var decoded = Decoder.Decode(tagged.WriteToBuffer(".png"));

        var high = samples.Select(s => (byte)(s >> 8));
        Assert.Equal(bands == 3 ? high : high.SelectMany(v => new[] { v, v, v }), decoded.Pixels.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Exif_orientation_turns_the_image_upright_as_libvips_autorot_does(int orientation)
    {
        var jpeg = TestImages.JpegWithOrientation(12, 7, orientation);
        using var stored = VipsImage.NewFromBuffer(jpeg);
        using var upright = stored.Autorot();
        var expected = upright.WriteToMemory<byte>();

        using var decoded = Decoder.Decode(jpeg);

        Assert.Equal((upright.Width, upright.Height), (decoded.Width, decoded.Height));
        Assert.Equal(expected, decoded.Pixels.ToArray());
    }

    [Fact]
    public void Exif_orientation_is_ignored_when_the_options_say_so_as_pil_ignores_it()
    {
        var jpeg = TestImages.JpegWithOrientation(12, 7, 6);
        using var stored = VipsImage.NewFromBuffer(jpeg);
        var expected = stored.WriteToMemory<byte>();

        using var decoded = new ImageDecoder(new PreprocessingOptions { ApplyExifOrientation = false }).Decode(jpeg);

        Assert.Equal((12, 7), (decoded.Width, decoded.Height));
        Assert.Equal(expected, decoded.Pixels.ToArray());
    }

    [Fact]
    public void An_empty_file_is_rejected_at_decode()
    {
        var e = Assert.Throws<ImageRejectedException>(() => Decoder.Decode([]));

        Assert.Equal(FailureStage.Decode, e.Stage);
        Assert.Equal("empty file (0 bytes)", e.Reason);
        Assert.Equal(e.Reason, e.Message);
    }

    [Fact]
    public void An_html_page_is_rejected_as_not_an_image_quoting_its_start()
    {
        var html = "<html><head><title>404 Not Found</title></head></html>"u8.ToArray();

        var e = Assert.Throws<ImageRejectedException>(() => Decoder.Decode(html));

        Assert.Equal(FailureStage.Decode, e.Stage);
        Assert.Equal("not an image: unrecognised format (starts with '<html><head><tit')", e.Reason);
    }

    [Fact]
    public void Random_bytes_are_rejected_as_not_an_image_quoting_the_first_bytes_in_hex()
    {
        var e = Assert.Throws<ImageRejectedException>(() => Decoder.Decode([0x00, 0x9c, 0xff, 0x13, 0x42, 0x01, 0x02, 0x03, 0x04, 0x05]));

        Assert.Equal("not an image: unrecognised format (starts with bytes 00 9c ff 13 42 01 02 03)", e.Reason);
    }

    [Fact]
    public void A_truncated_jpeg_is_rejected_with_the_decoders_reason()
    {
        var jpeg = TestImages.NoisyJpeg();

        var e = Assert.Throws<ImageRejectedException>(() => Decoder.Decode(jpeg.AsSpan(0, jpeg.Length / 2)));

        Assert.Equal(FailureStage.Decode, e.Stage);
        Assert.Equal("truncated or corrupt image data: premature end of JPEG image", e.Reason);
    }

    [Fact]
    public void A_truncated_png_is_rejected()
    {
        var png = TestImages.Png(200, 150);

        var e = Assert.Throws<ImageRejectedException>(() => Decoder.Decode(png.AsSpan(0, png.Length / 2)));

        Assert.StartsWith("truncated or corrupt image data: ", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_claiming_gigapixels_is_rejected_before_any_pixel_is_decoded()
    {
        var e = Assert.Throws<ImageRejectedException>(() => Decoder.Decode(PngHeaders.Claiming(65500, 65500)));

        Assert.Equal(FailureStage.Decode, e.Stage);
        Assert.Equal("image is 65500x65500 = 4.3 gigapixels, over the 100 megapixel limit (Preprocessing:MaxPixels)", e.Reason);
    }

    [Fact]
    public void Max_pixels_bounds_the_image_size()
    {
        var decoder = new ImageDecoder(new PreprocessingOptions { MaxPixels = 1000 });

        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode(TestImages.Png(40, 30)));
        using var fits = decoder.Decode(TestImages.Png(40, 25));

        Assert.Equal("image is 40x30 = 1200 pixels, over the 1000 pixel limit (Preprocessing:MaxPixels)", e.Reason);
        Assert.Equal(40, fits.Width);
    }

    [Fact]
    public void Recoverable_corrupt_scan_data_is_decoded_by_default_as_pil_does_and_rejected_when_strict()
    {
        // A stray restart marker in the middle of the scan: libjpeg warns "Corrupt JPEG data" and resynchronises.
        var jpeg = TestImages.NoisyJpeg();
        jpeg[jpeg.Length / 2] = 0xff;
        jpeg[(jpeg.Length / 2) + 1] = 0xd3;

        using var lenient = Decoder.Decode(jpeg);
        var strict = new ImageDecoder(new PreprocessingOptions { StrictDecoding = true });
        var e = Assert.Throws<ImageRejectedException>(() => strict.Decode(jpeg));

        Assert.Equal(320, lenient.Width);
        Assert.Equal(FailureStage.Decode, e.Stage);
        Assert.Contains("Corrupt JPEG data", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_name_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new ImageDecoder(new PreprocessingOptions { MaxPixels = 0 }));

        Assert.Contains("Preprocessing:MaxPixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_one_bit_greyscale_png_is_replicated_into_three_channels()
    {
        var bits = TestImages.Pixels(9, 5, 1, (x, y, _) => (x + y) % 2 * 255);

        using var decoded = Decoder.Decode(TestImages.Encode(bits, 9, 5, 1, ".png[bitdepth=1]"));

        Assert.Equal(bits.SelectMany(v => new[] { v, v, v }), decoded.Pixels.ToArray());
    }

    [Fact]
    public void A_lossless_webp_decodes_to_its_pixels()
    {
        var rgb = TestImages.Pattern(9, 5);

        using var decoded = Decoder.Decode(TestImages.Encode(rgb, 9, 5, 3, ".webp[lossless]"));

        Assert.Equal(rgb, decoded.Pixels.ToArray());
    }

    [Fact]
    public void A_multi_page_tiff_gives_its_first_page()
    {
        var first = TestImages.Pattern(9, 5);
        var second = TestImages.Pixels(9, 5, 3, (x, y, b) => 255 - ((x * 37) + (y * 91) + (b * 53)) % 256);
        using var top = VipsImage.NewFromMemory(first, 9, 5, 3, Enums.BandFormat.Uchar);
        using var bottom = VipsImage.NewFromMemory(second, 9, 5, 3, Enums.BandFormat.Uchar);
        using var pages = top.Join(bottom, Enums.Direction.Vertical);
        using var paged = pages.Mutate(m => m.Set(GValue.GIntType, "page-height", 5));

        using var decoded = Decoder.Decode(paged.WriteToBuffer(".tif"));

        Assert.Equal((9, 5), (decoded.Width, decoded.Height));
        Assert.Equal(first, decoded.Pixels.ToArray());
    }

    [Fact]
    public void Transparent_gif_pixels_take_their_palette_colour_as_in_pil_and_opaque_ones_keep_theirs()
    {
        // Written by PIL 9.4: 8x4, palette red, blue, green; index 2 (green) transparent in every even column, odd
        // columns red on even rows and blue on odd rows. PIL's convert("RGB") shows the green (libvips alone gives
        // black). (libvips' own GIF writer garbles a tiny transparent image, so it cannot make this input.)
        var gif = Convert.FromBase64String("R0lGODlhCAAEAIEAAP8AAAAA/wD/AAAAACH5BAEAAAIALAAAAAAIAAQAAAgRAAUAEEhwYAABBxMWXKgwYUAAOw==");
        var expected = TestImages.Pixels(8, 4, 3, (x, y, b) => x % 2 == 0 ? (b == 1 ? 255 : 0) : (b, y % 2) switch { (0, 0) => 255, (2, 1) => 255, _ => 0 });

        using var decoded = Decoder.Decode(gif);

        Assert.Equal(expected, decoded.Pixels.ToArray());
    }

    [Fact]
    public void Float_tiff_samples_are_clamped_to_eight_bits()
    {
        float[] samples = [-10, 0, 100, 300, 255, 42];
        using var image = VipsImage.NewFromMemory(samples, 6, 1, 1, Enums.BandFormat.Float);

        using var decoded = Decoder.Decode(image.WriteToBuffer(".tif"));

        Assert.Equal(new byte[] { 0, 0, 100, 255, 255, 42 }.SelectMany(v => new[] { v, v, v }), decoded.Pixels.ToArray());
    }
}

using System.Text;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Sources;
using EfficientNet.Batch.Worker.Preprocessing;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

public class ImageFormatSnifferTests
{
    public static TheoryData<string, byte[], SniffedFormat, string> Signatures() => new()
    {
        { "bitmap", [.. "BM"u8, 0, 0, 0, 0], SniffedFormat.Bmp, "BMP" },
        { "raw ppm", [.. "P6\n4 4\n255\n"u8], SniffedFormat.Pnm, "PNM" },
        { "plain pbm with a comment", [.. "P1#c\n1 1\n0\n"u8], SniffedFormat.Pnm, "PNM" },
        { "icon", [0, 0, 1, 0, 1, 0, 16, 16], SniffedFormat.Ico, "ICO" },
        { "jpeg 2000 file", [0, 0, 0, 0x0c, (byte)'j', (byte)'P', 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a], SniffedFormat.Unsupported, "JPEG 2000" },
        { "jpeg 2000 codestream", [0xff, 0x4f, 0xff, 0x51, 0, 0x2f], SniffedFormat.Unsupported, "JPEG 2000" },
        { "jpeg xl codestream", [0xff, 0x0a, 0xfa, 0x1f], SniffedFormat.Unsupported, "JPEG XL" },
        { "jpeg xl container", [0, 0, 0, 0x0c, (byte)'J', (byte)'X', (byte)'L', 0x20, 0x0d, 0x0a, 0x87, 0x0a], SniffedFormat.Unsupported, "JPEG XL" },
        { "svg with an xml declaration", [.. "\n<?xml version=\"1.0\"?>\n<!-- drawn -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8], SniffedFormat.Unsupported, "SVG" },
        { "tga header", [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 24, 0x20], SniffedFormat.Tga, "TGA" },
        { "jpeg", [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1], SniffedFormat.Libvips, "" },
        { "png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0, 0, 0, 0, 0, 0], SniffedFormat.Libvips, "" },
        { "html page", [.. "<html><body>not found</body></html>"u8], SniffedFormat.Libvips, "" },
        { "tga-like header with an unknown image type", [0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 24, 0], SniffedFormat.Libvips, "" },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public void The_decoder_is_chosen_from_the_bytes(string what, byte[] bytes, SniffedFormat expected, string name)
    {
        var format = ImageFormatSniffer.Sniff(bytes, out var sniffedName);

        Assert.True(expected == format, $"{what}: {format}, expected {expected}");
        Assert.Equal(name, sniffedName);
    }

    [Theory]
    [InlineData("photo.jp2", "unsupported format: JPEG 2000")]
    [InlineData("photo.jxl", "unsupported format: JPEG XL")]
    [InlineData("drawing.svg", "unsupported format: SVG")]
    public void Unsupported_formats_are_rejected_at_decode_naming_the_format(string what, string reason)
    {
        byte[] bytes = what switch
        {
            "photo.jp2" => [0xff, 0x4f, 0xff, 0x51, 0, 0x2f],
            "photo.jxl" => [0xff, 0x0a, 0xfa, 0x1f],
            _ => Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        };

        var e = Assert.Throws<ImageRejectedException>(() => new ImageDecoder(new PreprocessingOptions()).Decode(bytes));

        Assert.Equal(FailureStage.Decode, e.Stage);
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void A_bmp_header_over_max_pixels_is_rejected_before_decoding()
    {
        // 54-byte header of a 60000x60000 24-bit bitmap and no pixel data at all.
        var header = new byte[54];
        "BM"u8.CopyTo(header);
        BitConverter.TryWriteBytes(header.AsSpan(10), 54);
        BitConverter.TryWriteBytes(header.AsSpan(14), 40);
        BitConverter.TryWriteBytes(header.AsSpan(18), 60000);
        BitConverter.TryWriteBytes(header.AsSpan(22), 60000);
        BitConverter.TryWriteBytes(header.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(header.AsSpan(28), (short)24);

        var e = Assert.Throws<ImageRejectedException>(() => new ImageDecoder(new PreprocessingOptions()).Decode(header));

        Assert.Equal("image is 60000x60000 = 3.6 gigapixels, over the 100 megapixel limit (Preprocessing:MaxPixels)", e.Reason);
    }

    [Theory]
    [InlineData("a.bmp")]
    [InlineData("a.DIB")]
    [InlineData("a.ppm")]
    [InlineData("a.pgm")]
    [InlineData("a.pbm")]
    [InlineData("a.tga")]
    [InlineData("a.ico")]
    [InlineData("a.jp2")]
    [InlineData("a.jxl")]
    [InlineData("a.svg")]
    public void Sources_list_the_formats_decoded_here_and_those_that_must_become_failure_rows(string name) =>
        Assert.True(ImageFileExtensions.IsImage(name));
}

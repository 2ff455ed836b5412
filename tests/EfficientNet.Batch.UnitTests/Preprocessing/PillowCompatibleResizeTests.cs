using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Preprocessing;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

public class PillowCompatibleResizeTests
{
    private const int Width = 11;
    private const int Height = 7;

    // Pillow 9.4 (Debian 12), Image.fromarray(TestImages.Pattern(11, 7)).resize(size, filter).tobytes().hex().
    [Theory]
    [InlineData(ResizeInterpolation.Bicubic, 4, 3, "6e87948b9395878378646d8d83957792788483729786827a6a9d9f94729788798f929977")]
    [InlineData(ResizeInterpolation.Bilinear, 4, 3, "738894898f9186837d696e8c80927d907a8683729285857c709b9c9275958a7b8d8f957c")]
    [InlineData(ResizeInterpolation.Nearest, 4, 3, "8dc2f723588d87bcf11d52875d92c74176abd90e43bdf2272d62975f94c92b60955d92c7")]
    [InlineData(ResizeInterpolation.Bilinear, 11, 3, "4e83817e7cb177ac74a86fa46a9f9d9a9872936da2689d6498605e5b598e5489be5c917b99928b6da25eb9669b7d766f8d86ac8e598e70698f809790aea772544d7379ae7573a8a6487db2b077acaa4d8280b57c7a54898685bab77f58568bc0bebc28")]
    [InlineData(ResizeInterpolation.Bicubic, 15, 9, "002f640e43782c6099467cbd61a1d883beffa4e0d2bef31ceb3d2e7809560038781b5d934079ae6296cb76abe03569b14d8ed879c3b7a7d34bd45a6d8051a23b84b46ab1949f93c099a67d8ca42db32a69464a8b2d7caf6094c98eca7cb79aa7b7919d85b759b9688c8a7a6b6686569750965d8ed672ccb3b9d35ee3792c9c3a5658468d3c78ac9adc20d06d4bb33876407a90758fce95cc77bbc032ec3c716e40794169b465a8c79be83ded7638a34165135a920d4277396eb576b594afd911f6424c9344884391c68dc2f7d732678720552469a26ba1ddb7ec5a79ae390034774d82db99d27b96d04130646e749acab24b859e15522e68ae7c9fd8ba5a8daa144b3370ab71c8d7af8ba5c40751b3e57888bd5d629c816695dcb76ba5ac54938a6d7a83b84a45a1ae7889c8c46aa2a7357b7884d49caaace799339dce3b63988c4682d374a2d6d05a8faf5b9c8b999fb0e55a6d5c625a71b78bb6ddf1694c796c996ab380bbff1714498a71a6df71a6da01386d59aadfcb6498d930685c91d2c71f57982a6d4e969eb6f823518a78508464a4d900")]
    [InlineData(ResizeInterpolation.Nearest, 15, 9, "00356a255a8f255a8f4a7fb46fa4d994c9fe94c9feb9ee23de1348de134803386d285d924d82b74d82b772a7dc5b90c58dc2f78dc2f7bff429f1265b23588d23588d558abf87bcf187bcf1b9ee23eb20551d52871d52874f84b95b90c58dc2f78dc2f7bff429f1265b23588d23588d558abf87bcf187bcf1b9ee23eb20551d52871d52874f84b9b6eb20f52a5ff52a5f34699e73a8ddb2e71cb2e71cf1265b30659a30659a6fa4d9aee318ed2257ed22572c619611467b5d92c75d92c7a9de13f52a5f4176ab4176ab8dc2f7d90e43d90e43255a8f71a6dbbdf227bdf227093e736ca1d6c5fa2fc5fa2f1e538877ace1d0053ad0053a295e9382b7ec82b7ecdb104534699e8dc2f78dc2f7e61b50c7fc312d62972d629793c8fdf92e635f94c95f94c9c5fa2f2b60952b609591c6fbf72c615d92c75d92c7c3f82dc7fc312d62972d629793c8fdf92e635f94c95f94c9c5fa2f2b60952b609591c6fbf72c615d92c75d92c7c3f82d22578c95caff95caff083d727bb0e5ee2358ee23586196cbd4093ed4093e477cb1baef242d62972d6297a0d50a")]
    public void Resizing_gives_the_bytes_pillow_gives(ResizeInterpolation interpolation, int outWidth, int outHeight, string expectedHex)
    {
        var output = new byte[outWidth * outHeight * 3];

        PillowCompatibleResize.Resize(TestImages.Pattern(Width, Height), Width, Height, outWidth, outHeight, interpolation, new PixelWindow(0, 0, outWidth, outHeight), output);

        Assert.Equal(expectedHex, Convert.ToHexStringLower(output));
    }

    [Theory]
    [InlineData(ResizeInterpolation.Bicubic, 97, 61, 41, 26)]
    [InlineData(ResizeInterpolation.Bilinear, 97, 61, 41, 26)]
    [InlineData(ResizeInterpolation.Nearest, 97, 61, 41, 26)]
    [InlineData(ResizeInterpolation.Bicubic, 23, 17, 70, 51)]
    [InlineData(ResizeInterpolation.Bilinear, 23, 17, 23, 40)]
    public void Resampling_only_a_window_gives_the_same_bytes_as_resampling_everything_and_cropping(
        ResizeInterpolation interpolation, int width, int height, int outWidth, int outHeight)
    {
        var source = TestImages.Pattern(width, height);
        var full = new byte[outWidth * outHeight * 3];
        PillowCompatibleResize.Resize(source, width, height, outWidth, outHeight, interpolation, new PixelWindow(0, 0, outWidth, outHeight), full);

        var window = new PixelWindow(outWidth / 3, outHeight / 4, outWidth / 2, outHeight / 2);
        var part = new byte[window.Width * window.Height * 3];
        PillowCompatibleResize.Resize(source, width, height, outWidth, outHeight, interpolation, window, part);

        for (var y = 0; y < window.Height; y++)
        {
            var expected = full.AsSpan((((window.Top + y) * outWidth) + window.Left) * 3, window.Width * 3);
            Assert.True(expected.SequenceEqual(part.AsSpan(y * window.Width * 3, window.Width * 3)), $"row {y} differs");
        }
    }

    [Fact]
    public void Resizing_to_the_same_size_copies_the_pixels()
    {
        var source = TestImages.Pattern(Width, Height);
        var output = new byte[source.Length];

        PillowCompatibleResize.Resize(source, Width, Height, Width, Height, ResizeInterpolation.Bicubic, new PixelWindow(0, 0, Width, Height), output);

        Assert.Equal(source, output);
    }

    [Fact]
    public void A_uniform_image_stays_uniform_at_any_scale()
    {
        var source = TestImages.Pixels(50, 30, 3, (_, _, b) => 40 + (b * 90));
        var output = new byte[17 * 83 * 3];

        PillowCompatibleResize.Resize(source, 50, 30, 17, 83, ResizeInterpolation.Bicubic, new PixelWindow(0, 0, 17, 83), output);

        Assert.All(output.Chunk(3), pixel => Assert.Equal(new byte[] { 40, 130, 220 }, pixel));
    }
}

using EfficientNet.Batch.Models;
using NetVips;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

/// <summary>Images made in memory for the preprocessing tests (no files).</summary>
internal static class TestImages
{
    /// <summary>Interleaved pixels from a function of (x, y, band).</summary>
    public static byte[] Pixels(int width, int height, int bands, Func<int, int, int, int> value)
    {
        var pixels = new byte[width * height * bands];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var b = 0; b < bands; b++)
                {
                    pixels[(((y * width) + x) * bands) + b] = (byte)value(x, y, b);
                }
            }
        }

        return pixels;
    }

    /// <summary>A deterministic, non-symmetric pattern: every pixel differs from its mirror images.</summary>
    public static byte[] Pattern(int width, int height, int bands = 3) =>
        Pixels(width, height, bands, (x, y, b) => ((x * 37) + (y * 91) + (b * 53) + (x * y * 13)) % 256);

    public static byte[] Encode(byte[] pixels, int width, int height, int bands, string format = ".png", Enums.Interpretation? interpretation = null)
    {
        using var image = VipsImage.NewFromMemory(pixels, width, height, bands, Enums.BandFormat.Uchar);
        using var tagged = interpretation is null ? image.Copy() : image.Copy(interpretation: interpretation);
        return tagged.WriteToBuffer(format);
    }

    public static byte[] Png(int width, int height, int bands = 3) => Encode(Pattern(width, height, bands), width, height, bands);

    public static byte[] Solid(int width, int height, byte r, byte g, byte b) =>
        Encode(Pixels(width, height, 3, (_, _, band) => band switch { 0 => r, 1 => g, _ => b }), width, height, 3);

    /// <summary>Noise photographs badly: a JPEG of it has plenty of scan data to truncate or corrupt.</summary>
    public static byte[] NoisyJpeg(int width = 320, int height = 240)
    {
        var random = new Random(7);
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        return Encode(pixels, width, height, 3, ".jpg[Q=90]");
    }

    /// <summary>A JPEG with orientation tag <paramref name="orientation"/>, its stored pixels the pattern.</summary>
    public static byte[] JpegWithOrientation(int width, int height, int orientation)
    {
        using var image = VipsImage.NewFromMemory(Pattern(width, height), width, height, 3, Enums.BandFormat.Uchar);
        using var tagged = image.Mutate(m => m.Set(GValue.GIntType, "orientation", orientation));
        return tagged.WriteToBuffer(".jpg[Q=95]");
    }

    public static ModelSpec Spec(int resize, int crop, ResizeInterpolation interpolation = ResizeInterpolation.Bicubic, TensorLayout layout = TensorLayout.Nchw) =>
        Spec(resize, crop, crop, interpolation, layout);

    public static ModelSpec Spec(int resize, int cropWidth, int cropHeight, ResizeInterpolation interpolation, TensorLayout layout) => new()
    {
        Name = "test",
        Input = new ModelInputSpec { Layout = layout, Width = cropWidth, Height = cropHeight },
        Preprocess = new PreprocessSpec
        {
            ResizeShortSide = resize,
            Interpolation = interpolation,
            CropWidth = cropWidth,
            CropHeight = cropHeight,
        },
    };
}

using System.Diagnostics;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using NetVips;
using Xunit.Abstractions;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.IntegrationTests.Preprocessing;

/// <summary>
/// Measurements for docs/preprocessing.md, printed rather than asserted (timings depend on the machine):
/// single-threaded images/s of Exact and Fast mode, and Fast mode's deviation from torchvision.
/// </summary>
public class PreprocessingThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public void Measures_single_threaded_throughput_of_exact_and_fast_mode()
    {
        var spec = EfficientNetPresets.Create("efficientnet_b0");
        var photos = ParityFixtures.Photos().Select(File.ReadAllBytes).ToArray();
        var twelveMegapixels = UpscaledJpeg(photos[Array.FindIndex(ParityFixtures.Photos().ToArray(), p => p.EndsWith("china.jpg", StringComparison.Ordinal))], 4240, 2828);

#if DEBUG
        output.WriteLine("Debug build: unoptimised code, Exact mode several times slower; measure with -c Release (scripts/test.sh)");
#endif
        foreach (var mode in new[] { PreprocessingMode.Exact, PreprocessingMode.Fast })
        {
            var preprocessor = new ImagePreprocessor(spec, new PreprocessingOptions { Mode = mode });
            output.WriteLine($"{mode}, sample photos (451x300 .. 640x427): {ImagesPerSecond(preprocessor, photos, TimeSpan.FromSeconds(2)):0} images/s");
            output.WriteLine($"{mode}, 12 MP JPEG (4240x2828): {ImagesPerSecond(preprocessor, [twelveMegapixels], TimeSpan.FromSeconds(3)):0.0} images/s");
        }

        // The same 12 MP picture as PNG (libvips) and as a 24-bit BMP (ImageSharp): what the BMP decoder costs.
        using var decoded = VipsImage.NewFromBuffer(twelveMegapixels);
        var exact = new ImagePreprocessor(spec, new PreprocessingOptions());
        output.WriteLine($"Exact, 12 MP PNG (4240x2828, libvips): {ImagesPerSecond(exact, [decoded.WriteToBuffer(".png[compression=1]")], TimeSpan.FromSeconds(3)):0.0} images/s");
        output.WriteLine($"Exact, 12 MP 24-bit BMP (4240x2828, ImageSharp): {ImagesPerSecond(exact, [Bmp24(decoded)], TimeSpan.FromSeconds(3)):0.0} images/s");
    }

    private static byte[] Bmp24(VipsImage image)
    {
        var pixels = image.WriteToMemory<byte>();
        var stride = ((image.Width * 3) + 3) & ~3;
        var bmp = new byte[54 + (stride * image.Height)];
        "BM"u8.CopyTo(bmp);
        BitConverter.TryWriteBytes(bmp.AsSpan(2), bmp.Length);
        BitConverter.TryWriteBytes(bmp.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bmp.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bmp.AsSpan(18), image.Width);
        BitConverter.TryWriteBytes(bmp.AsSpan(22), -image.Height); // top-down
        BitConverter.TryWriteBytes(bmp.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bmp.AsSpan(28), (short)24);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var (source, target) = (((y * image.Width) + x) * 3, 54 + (y * stride) + (x * 3));
                (bmp[target], bmp[target + 1], bmp[target + 2]) = (pixels[source + 2], pixels[source + 1], pixels[source]);
            }
        }

        return bmp;
    }

    [Fact]
    public void Measures_how_far_fast_mode_is_from_torchvision()
    {
        var worst = 0f;
        foreach (var photo in ParityFixtures.Photos())
        {
            foreach (var pipeline in ParityFixtures.Pipelines.Keys)
            {
                var spec = ParityFixtures.Spec(pipeline);
                var reference = ParityFixtures.ReferenceTensor(spec, Path.Combine(TestPaths.Reference, $"{Path.GetFileNameWithoutExtension(photo)}.{pipeline}.png"));
                var fast = ParityFixtures.Preprocess(spec, File.ReadAllBytes(photo), new PreprocessingOptions { Mode = PreprocessingMode.Fast });
                var max = ParityFixtures.MaxAbsDifference(fast, reference);
                var mean = fast.Zip(reference, (a, b) => Math.Abs(a - b)).Average();
                worst = Math.Max(worst, max);
                output.WriteLine($"{Path.GetFileName(photo)} {pipeline}: Fast max |fast - torchvision| = {max:0.000}, mean {mean:0.0000}");
            }
        }

        output.WriteLine($"worst: {worst:0.000}");
        Assert.True(float.IsFinite(worst));

        var odd = Directory.EnumerateFiles(TestPaths.OddImages)
            .Where(p => !p.EndsWith(".bicubic-256-224.png", StringComparison.Ordinal) && !p.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var file in odd)
        {
            var spec = ParityFixtures.Spec("bicubic-256-224");
            var reference = ParityFixtures.ReferenceTensor(spec, Path.Combine(TestPaths.OddImages, $"{Path.GetFileNameWithoutExtension(file)}.bicubic-256-224.png"));
            var fast = ParityFixtures.Preprocess(spec, File.ReadAllBytes(file), new PreprocessingOptions { Mode = PreprocessingMode.Fast });
            output.WriteLine($"odd {Path.GetFileName(file)}: Fast max |fast - torchvision| = {ParityFixtures.MaxAbsDifference(fast, reference):0.000}");
        }
    }

    private static double ImagesPerSecond(ImagePreprocessor preprocessor, byte[][] images, TimeSpan duration)
    {
        var tensor = new float[preprocessor.TensorLength];
        foreach (var image in images)
        {
            preprocessor.Preprocess(image, tensor); // warm-up: JIT, libvips init, pools
        }

        var count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            preprocessor.Preprocess(images[count % images.Length], tensor);
            count++;
        }

        return count / clock.Elapsed.TotalSeconds;
    }

    private static byte[] UpscaledJpeg(byte[] photo, int width, int height)
    {
        using var image = VipsImage.NewFromBuffer(photo);
        using var large = image.Resize((double)width / image.Width, vscale: (double)height / image.Height);
        return large.WriteToBuffer(".jpg[Q=90]");
    }
}

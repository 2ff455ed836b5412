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

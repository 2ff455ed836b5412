using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Preprocessing;
using Xunit.Abstractions;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.IntegrationTests.Preprocessing;

/// <summary>
/// libvips keeps one error buffer per process: a failure's reason must still name its own image's problem when many
/// images fail at once on many threads.
/// </summary>
public class ConcurrentFailureReasonTests(ITestOutputHelper output)
{
    [Fact]
    public void Each_failure_reason_belongs_to_its_own_image_when_many_bad_files_fail_concurrently()
    {
        var bad = BadFiles();
        var decoder = new ImageDecoder(new PreprocessingOptions());
        var alone = bad.ToDictionary(b => b.Name, b => ReasonOf(decoder, b.Bytes));
        foreach (var (name, reason) in alone)
        {
            output.WriteLine($"{name}: {reason}");
        }

        // Different kinds fail with different libvips messages, so a reason taken from another image shows.
        Assert.True(alone.Values.Distinct().Count() >= 5, $"only {alone.Values.Distinct().Count()} distinct reasons");

        const int threads = 8, rounds = 40;
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var round = 0; round < rounds; round++)
            {
                // Each thread walks the files from a different place, so different kinds fail at the same moment.
                for (var i = 0; i < bad.Count; i++)
                {
                    var file = bad[(i + t + round) % bad.Count];
                    var reason = ReasonOf(decoder, file.Bytes);
                    if (reason != alone[file.Name])
                    {
                        wrong.Add($"{file.Name}: got '{reason}', alone '{alone[file.Name]}'");
                    }
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        output.WriteLine($"{threads * rounds * bad.Count} concurrent failures, {wrong.Count} with another reason");
        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
    }

    private static string ReasonOf(ImageDecoder decoder, byte[] bytes)
    {
        var e = Assert.Throws<ImageRejectedException>(() => decoder.Decode(bytes).Dispose());
        Assert.Equal(FailureStage.Decode, e.Stage);
        return e.Reason;
    }

    private static List<(string Name, byte[] Bytes)> BadFiles()
    {
        var jpeg = File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, "rocket.jpg"));
        var png = File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, "coffee.png"));
        using var photo = VipsImage.NewFromBuffer(png);
        var gif = File.ReadAllBytes(Path.Combine(TestPaths.Formats, "gif_transparent.gif"));
        var webp = photo.WriteToBuffer(".webp");
        var tiff = photo.WriteToBuffer(".tif");

        var badCrc = (byte[])png.Clone();
        badCrc[33 + 40] ^= 0xff; // inside the first chunk after IHDR

        return
        [
            ("jpeg cut in its scan", jpeg[..(jpeg.Length / 2)]),
            ("jpeg cut in its headers", jpeg[..300]),
            ("png cut in its data", png[..(png.Length / 2)]),
            ("png with a bad crc", badCrc),
            ("gif cut in its data", gif[..(gif.Length / 2)]),
            ("webp cut in its data", webp[..(webp.Length / 2)]),
            ("tiff cut in half", tiff[..(tiff.Length / 2)]),
        ];
    }
}

using System.Diagnostics;
using EfficientNet.Batch.Worker.Preprocessing;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Preprocessing;

/// <summary>Damaged copies of every format variant (tests/assets/formats): each decodes or is rejected with a reason.</summary>
public class CorruptFormatTests(ITestOutputHelper output)
{
    [Fact]
    public void Damaged_bmp_pnm_tga_ico_and_gif_files_decode_or_fail_as_rejections_never_with_another_exception()
    {
        var decoder = new ImageDecoder(new PreprocessingOptions { MaxPixels = 4_000_000 });
        var random = new Random(14);
        var files = Directory.EnumerateFiles(TestPaths.Formats)
            .Where(f => Path.GetExtension(f) is ".bmp" or ".pbm" or ".pgm" or ".ppm" or ".tga" or ".ico" or ".gif")
            .Order(StringComparer.Ordinal)
            .ToList();
        var (decoded, rejected) = (0, 0);
        var unexpected = new List<string>();
        var slowest = TimeSpan.Zero;
        foreach (var file in files)
        {
            var original = File.ReadAllBytes(file);
            for (var i = 0; i < 60; i++)
            {
                var damaged = Damage(original, random, i);
                var clock = Stopwatch.StartNew();
                try
                {
                    decoder.Decode(damaged).Dispose();
                    decoded++;
                }
                catch (ImageRejectedException)
                {
                    rejected++;
                }
                catch (Exception e)
                {
                    unexpected.Add($"{Path.GetFileName(file)} #{i}: {e.GetType().Name}: {e.Message}");
                }

                slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            }
        }

        output.WriteLine($"{files.Count} files x 60 damaged copies: {decoded} decoded, {rejected} rejected, {unexpected.Count} other exceptions; slowest {slowest.TotalMilliseconds:F0} ms");
        Assert.Empty(unexpected);
        Assert.True(rejected > 0 && decoded > 0, "the damage should both break some files and leave some decodable");
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"a damaged file took {slowest}");
    }

    /// <summary>Truncation, flipped bytes in the header, or flipped bytes anywhere, in turn.</summary>
    private static byte[] Damage(byte[] original, Random random, int i)
    {
        switch (i % 3)
        {
            case 0:
                return original[..random.Next(1, original.Length)];
            case 1:
                var header = (byte[])original.Clone();
                for (var k = 0; k < 3; k++)
                {
                    header[random.Next(Math.Min(header.Length, 64))] = (byte)random.Next(256);
                }

                return header;
            default:
                var anywhere = (byte[])original.Clone();
                for (var k = 0; k < 8; k++)
                {
                    anywhere[random.Next(anywhere.Length)] = (byte)random.Next(256);
                }

                return anywhere;
        }
    }
}

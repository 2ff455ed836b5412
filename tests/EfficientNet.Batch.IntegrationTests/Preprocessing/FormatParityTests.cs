using System.Buffers.Binary;
using System.Text.Json;
using EfficientNet.Batch.IntegrationTests.Inference;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Preprocessing;

/// <summary>
/// Every format variant of tests/assets/formats against the float32 tensor torchvision computed for it (made by
/// tools/make_reference_assets.py from <c>PIL.Image.open(p).convert('RGB')</c>, Resize(56, BICUBIC), CenterCrop(48)),
/// and the files there that must become failure rows.
/// </summary>
public class FormatParityTests(ITestOutputHelper output)
{
    private static readonly ModelSpec Spec = new()
    {
        Name = "bicubic-56-48",
        Input = new ModelInputSpec { Layout = TensorLayout.Nchw, Width = 48, Height = 48 },
        Preprocess = new PreprocessSpec { ResizeShortSide = 56, Interpolation = ResizeInterpolation.Bicubic, CropWidth = 48, CropHeight = 48 },
    };

    public static TheoryData<string> Variants() => [.. Index().GetProperty("valid").EnumerateArray().Select(v => v.GetProperty("file").GetString()!)];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Each_format_variant_pil_opens_gives_torchvisions_float_tensor(string file)
    {
        var reference = ReadF32(Path.Combine(TestPaths.Formats, $"{file}.bicubic-56-48.f32"));
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Formats, file));

        foreach (var mode in new[] { PreprocessingMode.Exact, PreprocessingMode.Fast })
        {
            if (mode == PreprocessingMode.Fast && ImageDecoder.DecodedByLibvips(bytes))
            {
                continue; // Fast mode's libvips thumbnail differs by design (docs/preprocessing.md); measured elsewhere.
            }

            var ours = ParityFixtures.Preprocess(Spec, bytes, new PreprocessingOptions { Mode = mode });
            var max = ParityFixtures.MaxAbsDifference(ours, reference);
            output.WriteLine($"{file} ({mode}): max |ours - torchvision| = {max}");
            Assert.Equal(0f, max);
        }
    }

    [Fact]
    public async Task Each_format_variant_gets_pytorchs_top5_through_our_decoding_and_inference()
    {
        using var folder = new TempDirectory("enb-formats");
        await using var model = ModelRepository.Load(
            PresetParityTests.WriteModel(folder, "bicubic-56-48", 56, "bicubic", 48),
            new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = 1 },
            new PreprocessingOptions(),
            NullLoggerFactory.Instance);

        var disagreements = new List<string>();
        foreach (var variant in Index().GetProperty("valid").EnumerateArray())
        {
            var file = variant.GetProperty("file").GetString()!;
            var expected = variant.GetProperty("top5").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var tensor = new float[model.Preprocessor.TensorLength];
            model.Preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(TestPaths.Formats, file)), tensor);
            var top5 = ClassScores.TopK((await model.Batcher.InferAsync(tensor, CancellationToken.None)).Probabilities, 5).Indices;
            output.WriteLine($"{file}: top-5 [{string.Join(",", top5)}], PyTorch [{string.Join(",", expected)}]");
            if (!top5.SequenceEqual(expected))
            {
                disagreements.Add(file);
            }
        }

        Assert.Empty(disagreements);
    }

    [Fact]
    public void A_gifs_transparent_pixels_get_their_palette_colour_as_in_pil_not_black()
    {
        // The variant above proves equality; this proves the file tests what it claims: its transparent block is bright.
        var ours = ParityFixtures.Preprocess(Spec, File.ReadAllBytes(Path.Combine(TestPaths.Formats, "gif_transparent.gif")));
        var black = new NormalizedTensorWriter(Spec.Preprocess, TensorLayout.Nchw).Normalize(0, 0);

        // Source rows 10-40, columns 20-80 of 120x80 are transparent; at 56 high that is rows ~7-28, columns ~9-37 of
        // the resized 84x56, i.e. the crop's rows ~3-24, columns ~1-19 (crop left 18, top 4).
        var centre = (12 * 48) + 10;
        Assert.True(ours[centre] > black + 1f, $"transparent pixel normalised red {ours[centre]} is not far above black {black}");
    }

    public static TheoryData<string, string> Failures() => new()
    {
        { "text.bmp", "not an image: unrecognised format (starts with 'This file is a n')" },
        { "truncated.bmp", "truncated or corrupt image data: BMP pixel rows end at byte" },
        { "huge_60000x60000.bmp", "image is 60000x60000 = 3.6 gigapixels, over the 100 megapixel limit (Preprocessing:MaxPixels)" },
        { "bad_colormap.tga", "truncated or corrupt image data: TGA" },
        { "photo.jp2", "unsupported format: JPEG 2000" },
        { "photo.jxl", "unsupported format: JPEG XL" },
        { "drawing.svg", "unsupported format: SVG" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Bad_or_unsupported_files_fail_at_decode_with_a_reason(string file, string reasonStart)
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Formats, "invalid", file));

        foreach (var mode in new[] { PreprocessingMode.Exact, PreprocessingMode.Fast })
        {
            var e = Assert.Throws<ImageRejectedException>(() => ParityFixtures.Preprocess(Spec, bytes, new PreprocessingOptions { Mode = mode }));
            output.WriteLine($"{file} ({mode}): {e.Stage}: {e.Reason}");
            Assert.Equal(FailureStage.Decode, e.Stage);
            Assert.StartsWith(reasonStart, e.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_file_of_the_formats_folder_is_in_the_index()
    {
        var listed = Index().GetProperty("valid").EnumerateArray().Select(v => v.GetProperty("file").GetString()!).ToHashSet();
        var onDisk = Directory.EnumerateFiles(TestPaths.Formats)
            .Select(Path.GetFileName)
            .Where(f => !f!.EndsWith(".f32", StringComparison.Ordinal) && f is not "formats.json" and not "README.md")
            .ToHashSet();
        var invalid = Index().GetProperty("invalid").EnumerateArray().Select(v => v.GetProperty("file").GetString()!).Order().ToArray();

        Assert.Equal(onDisk.Order(), listed.Order());
        Assert.Equal(Failures().Select(row => (string)row[0]).Order(), invalid);
    }

    private static JsonElement Index() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Formats, "formats.json"))).RootElement;

    internal static float[] ReadF32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        }

        return values;
    }
}

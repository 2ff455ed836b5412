using EfficientNet.Batch.Models;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Preprocessing;
using NetVips;
using Xunit.Abstractions;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.IntegrationTests.Preprocessing;

/// <summary>
/// Our tensors against torchvision's (tests/assets/reference and tests/assets/odd, made by tools/make_reference_assets.py
/// with torchvision 0.14.1 / Pillow 9.4). Differences are in normalised units: one 8-bit level is 1/255/std ≈ 0.017-0.018.
/// </summary>
public class TorchvisionParityTests(ITestOutputHelper output)
{
    // The tolerance (about three 8-bit levels); Exact mode is expected to meet it with 0.0.
    private const float Tolerance = 0.06f;

    public static TheoryData<string, string> PhotoPipelines()
    {
        var data = new TheoryData<string, string>();
        foreach (var photo in ParityFixtures.Photos())
        {
            foreach (var pipeline in ParityFixtures.Pipelines.Keys)
            {
                data.Add(Path.GetFileName(photo), pipeline);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PhotoPipelines))]
    public void Exact_mode_reproduces_torchvisions_tensor_for_each_sample_photo(string photo, string pipeline)
    {
        var spec = ParityFixtures.Spec(pipeline);
        var reference = ParityFixtures.ReferenceTensor(spec, Path.Combine(TestPaths.Reference, $"{Path.GetFileNameWithoutExtension(photo)}.{pipeline}.png"));

        var ours = ParityFixtures.Preprocess(spec, File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, photo)));

        var max = ParityFixtures.MaxAbsDifference(ours, reference);
        output.WriteLine($"{photo} {pipeline}: max |ours - torchvision| = {max}");
        Assert.True(max <= Tolerance, $"max abs diff {max} > {Tolerance}");
        Assert.Equal(0f, max);
    }

    [Theory]
    [InlineData("rgba_alpha.png")]
    [InlineData("palette.png")]
    [InlineData("grey.jpg")]
    [InlineData("cmyk.jpg")]
    [InlineData("one_pixel.png")]
    [InlineData("extreme_aspect_2000x20.png")]
    public void Odd_images_where_we_follow_pil_by_design_match_torchvision_exactly(string file)
    {
        var ours = Odd(file, new PreprocessingOptions());

        var max = ParityFixtures.MaxAbsDifference(ours, OddReference(file));
        output.WriteLine($"{file}: max |ours - torchvision| = {max}");
        Assert.Equal(0f, max);
    }

    [Fact]
    public void An_exif_rotated_photo_matches_torchvision_when_orientation_is_ignored_like_pil()
    {
        var ours = Odd("exif_orientation6.jpg", new PreprocessingOptions { ApplyExifOrientation = false });

        Assert.Equal(0f, ParityFixtures.MaxAbsDifference(ours, OddReference("exif_orientation6.jpg")));
    }

    [Fact]
    public void An_exif_rotated_photo_is_by_default_the_torchvision_transform_of_the_upright_photo()
    {
        // Deliberate difference (docs/preprocessing.md): the default turns the stored pixels upright first. Expected
        // value: our exact pipeline (proven equal to torchvision's above) on the stored pixels rotated 90° clockwise.
        var path = Path.Combine(TestPaths.OddImages, "exif_orientation6.jpg");
        using var stored = VipsImage.NewFromFile(path);
        using var rotated = stored.Rot90();
        using var untagged = rotated.Mutate(m => m.Remove("orientation"));
        var spec = ParityFixtures.Spec("bicubic-256-224");

        var ours = ParityFixtures.Preprocess(spec, File.ReadAllBytes(path));
        var expected = ParityFixtures.Preprocess(spec, untagged.WriteToBuffer(".png"));
        var fromSideways = ParityFixtures.MaxAbsDifference(ours, OddReference("exif_orientation6.jpg"));

        output.WriteLine($"exif_orientation6.jpg: max |upright - torchvision's sideways crop| = {fromSideways}");
        Assert.Equal(expected, ours);
        Assert.True(fromSideways > 1f);
    }

    [Fact]
    public void Sixteen_bit_greyscale_is_scaled_to_eight_bits_where_pil_clips_it_to_white()
    {
        // Deliberate difference (docs/preprocessing.md): PIL opens 16-bit grey PNG as mode I and convert('RGB') clamps
        // each value to 255, so the photo becomes white and only the raw 0..255 ramp in the top 24 rows shows. We keep
        // the high byte: the photo is visible and the ramp (< 256) is black. Expected: the photo as v >> 8, 8-bit.
        var path = Path.Combine(TestPaths.OddImages, "grey16.png");
        using var sixteen = VipsImage.NewFromFile(path);
        Assert.Equal(Enums.BandFormat.Ushort, sixteen.Format);
        using var shifted = sixteen.Cast(Enums.BandFormat.Uchar, shift: true);
        using var eightBit = shifted.Copy(interpretation: Enums.Interpretation.Bw);
        var spec = ParityFixtures.Spec("bicubic-256-224");

        var ours = Odd("grey16.png", new PreprocessingOptions());
        var expected = ParityFixtures.Preprocess(spec, eightBit.WriteToBuffer(".png"));
        var fromPil = ParityFixtures.MaxAbsDifference(ours, OddReference("grey16.png"));

        output.WriteLine($"grey16.png: max |ours - torchvision (clipped)| = {fromPil}");
        Assert.Equal(expected, ours);
        var black = new NormalizedTensorWriter(spec.Preprocess, TensorLayout.Nchw).Normalize(0, 0);
        Assert.Equal(black, ours[(10 * 224) + 112]); // row 10 of the crop lies in the ramp band
        Assert.Equal(4.46, Math.Round(fromPil, 2)); // docs/preprocessing.md's figure for how far PIL's white square is
    }

    [Theory]
    [InlineData("truncated.jpg")]
    [InlineData("rocket_cut_scan.jpg")]
    public void Invalid_files_are_rejected_at_decode_with_a_reason(string file)
    {
        var spec = ParityFixtures.Spec("bicubic-256-224");
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.OddImages, "invalid", file));

        foreach (var mode in new[] { PreprocessingMode.Exact, PreprocessingMode.Fast })
        {
            var e = Assert.Throws<ImageRejectedException>(() => ParityFixtures.Preprocess(spec, bytes, new PreprocessingOptions { Mode = mode }));
            output.WriteLine($"{file} ({mode}): {e.Stage}: {e.Reason}");
            Assert.Equal(FailureStage.Decode, e.Stage);
            Assert.StartsWith("truncated or corrupt image data: ", e.Reason, StringComparison.Ordinal);
        }
    }

    private static float[] Odd(string file, PreprocessingOptions options) =>
        ParityFixtures.Preprocess(ParityFixtures.Spec("bicubic-256-224"), File.ReadAllBytes(Path.Combine(TestPaths.OddImages, file)), options);

    private static float[] OddReference(string file) =>
        ParityFixtures.ReferenceTensor(
            ParityFixtures.Spec("bicubic-256-224"),
            Path.Combine(TestPaths.OddImages, $"{Path.GetFileNameWithoutExtension(file)}.bicubic-256-224.png"));
}

using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using NetVips;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.IntegrationTests.Preprocessing;

/// <summary>The torchvision pipelines of tests/assets/reference and helpers to compare our tensors with theirs.</summary>
internal static class ParityFixtures
{
    /// <summary>Reference suffix → (Resize, interpolation, CenterCrop), as tools/make_reference_assets.py names them.</summary>
    public static readonly IReadOnlyDictionary<string, (int Resize, ResizeInterpolation Interpolation, int Crop)> Pipelines =
        new Dictionary<string, (int, ResizeInterpolation, int)>
        {
            ["bicubic-256-224"] = (256, ResizeInterpolation.Bicubic, 224),
            ["bilinear-255-240"] = (255, ResizeInterpolation.Bilinear, 240),
        };

    public static IEnumerable<string> Photos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos)
            .Where(p => Path.GetExtension(p).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png")
            .Order(StringComparer.Ordinal);

    public static ModelSpec Spec(string pipeline)
    {
        var (resize, interpolation, crop) = Pipelines[pipeline];
        return new ModelSpec
        {
            Name = pipeline,
            Input = new ModelInputSpec { Layout = TensorLayout.Nchw, Width = crop, Height = crop },
            Preprocess = new PreprocessSpec { ResizeShortSide = resize, Interpolation = interpolation, CropWidth = crop, CropHeight = crop },
        };
    }

    public static float[] Preprocess(ModelSpec spec, byte[] encoded, PreprocessingOptions? options = null)
    {
        var preprocessor = new ImagePreprocessor(spec, options ?? new PreprocessingOptions());
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Preprocess(encoded, tensor);
        return tensor;
    }

    /// <summary>
    /// torchvision's ToTensor + Normalize of every byte value per channel (3 x 256 float32, computed by torch in
    /// tools/make_reference_assets.py, which checks that it reproduces torchvision's tensor of every photo crop).
    /// </summary>
    private static readonly Lazy<float[]> TorchNormalizeTable = new(() => FormatParityTests.ReadF32(Path.Combine(TestPaths.Reference, "normalize.f32")));

    /// <summary>
    /// torchvision's input tensor (NCHW) of a reference crop PNG (uint8 RGB), through torch's own normalisation table,
    /// so that it owes nothing to our <see cref="NormalizedTensorWriter"/>.
    /// </summary>
    public static float[] ReferenceTensor(ModelSpec spec, string cropPng)
    {
        using var image = VipsImage.NewFromFile(cropPng, access: Enums.Access.Sequential);
        Assert.Equal((spec.Input.Width, spec.Input.Height, 3, Enums.BandFormat.Uchar), (image.Width, image.Height, image.Bands, image.Format));
        var pixels = image.WriteToMemory<byte>();
        var table = TorchNormalizeTable.Value;
        Assert.Equal(3 * 256, table.Length);
        var plane = image.Width * image.Height;
        var tensor = new float[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                tensor[(c * plane) + i] = table[(c * 256) + pixels[(i * 3) + c]];
            }
        }

        return tensor;
    }

    public static float MaxAbsDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}

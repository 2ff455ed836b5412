namespace EfficientNet.Batch.Models;

/// <summary>
/// Preprocessing of torchvision's EfficientNet weights (torchvision.models.EfficientNet_B*_Weights.IMAGENET1K_V1
/// transforms; B1 also has V2): resize of the short side, interpolation and center crop per variant.
/// </summary>
public static class EfficientNetPresets
{
    private static readonly Dictionary<string, (int Resize, int Crop, ResizeInterpolation Interpolation)> Transforms =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["efficientnet_b0"] = (256, 224, ResizeInterpolation.Bicubic),
            ["efficientnet_b1"] = (256, 240, ResizeInterpolation.Bicubic),
            ["efficientnet_b1_v2"] = (255, 240, ResizeInterpolation.Bilinear),
            ["efficientnet_b2"] = (288, 288, ResizeInterpolation.Bicubic),
            ["efficientnet_b3"] = (320, 300, ResizeInterpolation.Bicubic),
            ["efficientnet_b4"] = (384, 380, ResizeInterpolation.Bicubic),
            ["efficientnet_b5"] = (456, 456, ResizeInterpolation.Bicubic),
            ["efficientnet_b6"] = (528, 528, ResizeInterpolation.Bicubic),
            ["efficientnet_b7"] = (600, 600, ResizeInterpolation.Bicubic),
        };

    public static IReadOnlyCollection<string> Names => Transforms.Keys;

    /// <summary>The spec of a torchvision EfficientNet exported by tools/export_model.py (outputs "logits" and "embedding").</summary>
    public static ModelSpec Create(string preset, string? labels = "imagenet_labels.txt")
    {
        if (!Transforms.TryGetValue(preset, out var t))
        {
            throw new ModelSpecException($"unknown preset '{preset}': expected one of {string.Join(", ", Transforms.Keys)}");
        }

        return new ModelSpec
        {
            Name = preset.ToLowerInvariant(),
            Input = new ModelInputSpec { Name = "input", Layout = TensorLayout.Nchw, Width = t.Crop, Height = t.Crop },
            Preprocess = new PreprocessSpec
            {
                ResizeShortSide = t.Resize,
                Interpolation = t.Interpolation,
                CropWidth = t.Crop,
                CropHeight = t.Crop,
            },
            Outputs = new ModelOutputSpec { Logits = "logits", Embedding = "embedding" },
            Labels = labels,
        };
    }
}

using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.UnitTests.ModelSpecs;

public sealed class EfficientNetPresetsTests
{
    [Theory]
    [InlineData("efficientnet_b0", 256, 224, ResizeInterpolation.Bicubic)]
    [InlineData("efficientnet_b1_v2", 255, 240, ResizeInterpolation.Bilinear)]
    [InlineData("efficientnet_b3", 320, 300, ResizeInterpolation.Bicubic)]
    [InlineData("efficientnet_b7", 600, 600, ResizeInterpolation.Bicubic)]
    public void Presets_follow_torchvision_weight_transforms(string preset, int resize, int crop, ResizeInterpolation interpolation)
    {
        var spec = EfficientNetPresets.Create(preset);
        Assert.Equal(resize, spec.Preprocess.ResizeShortSide);
        Assert.Equal(crop, spec.Preprocess.CropWidth);
        Assert.Equal(crop, spec.Input.Height);
        Assert.Equal(interpolation, spec.Preprocess.Interpolation);
        ModelSpecFile.Validate(spec, preset);
    }

    [Fact]
    public void An_unknown_preset_names_the_valid_ones()
    {
        var error = Assert.Throws<ModelSpecException>(() => EfficientNetPresets.Create("resnet50"));
        Assert.Contains("efficientnet_b0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spec_whose_crop_differs_from_the_input_is_rejected_with_the_mismatch()
    {
        var spec = EfficientNetPresets.Create("efficientnet_b0") with { Input = new ModelInputSpec { Width = 240, Height = 240 } };
        var error = Assert.Throws<ModelSpecException>(() => ModelSpecFile.Validate(spec, "model.json"));
        Assert.Contains("crop 224x224 must equal the input size 240x240", error.Message, StringComparison.Ordinal);
    }
}

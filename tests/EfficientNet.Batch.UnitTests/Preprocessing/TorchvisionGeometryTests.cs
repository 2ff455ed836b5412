using EfficientNet.Batch.Models;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Preprocessing;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

public class TorchvisionGeometryTests
{
    [Theory]
    [InlineData(500, 375, 256, 341, 256)]
    [InlineData(375, 500, 256, 256, 341)]
    [InlineData(640, 480, 255, 340, 255)]
    [InlineData(100, 1000, 256, 256, 2560)]
    [InlineData(1, 1, 256, 256, 256)]
    [InlineData(333, 333, 256, 256, 256)]
    [InlineData(256, 300, 256, 256, 300)]
    public void Resize_makes_the_short_side_the_target_and_truncates_the_long_side(int width, int height, int size, int expectedWidth, int expectedHeight)
    {
        Assert.Equal((expectedWidth, expectedHeight), TorchvisionGeometry.ResizedSize(width, height, size));
    }

    [Theory]
    [InlineData(256, 224, 16)]
    [InlineData(341, 224, 58)] // 58.5 rounds to even
    [InlineData(257, 224, 16)] // 16.5 rounds to even
    [InlineData(259, 224, 18)] // 17.5 rounds to even
    [InlineData(255, 240, 8)] // 7.5 rounds to even
    [InlineData(224, 224, 0)]
    public void Crop_offsets_round_half_to_even_like_python(int size, int crop, int expected)
    {
        Assert.Equal(expected, TorchvisionGeometry.CropStart(size, crop));
    }

    [Theory]
    [InlineData(200, 224, -12)]
    [InlineData(201, 224, -11)] // torchvision pads 11 before, 12 after
    [InlineData(1, 224, -111)]
    public void A_crop_larger_than_the_image_starts_outside_it_by_the_padding_torchvision_adds_first(int size, int crop, int expected)
    {
        Assert.Equal(expected, TorchvisionGeometry.CropStart(size, crop));
    }

    [Fact]
    public void The_visible_window_is_the_part_of_the_crop_inside_the_resized_image()
    {
        var spec = TestImages.Spec(200, 224, 180, ResizeInterpolation.Bilinear, TensorLayout.Nchw).Preprocess;

        var geometry = TorchvisionGeometry.For(300, 201, spec);

        Assert.Equal((298, 200), (geometry.ResizedWidth, geometry.ResizedHeight));
        Assert.Equal(new PixelWindow(37, 10, 224, 180), geometry.Crop);
        Assert.Equal(geometry.Crop, geometry.Visible);

        var padded = TorchvisionGeometry.For(100, 100, TestImages.Spec(200, 224).Preprocess);
        Assert.Equal(new PixelWindow(-12, -12, 224, 224), padded.Crop);
        Assert.Equal(new PixelWindow(0, 0, 200, 200), padded.Visible);
    }

    [Fact]
    public void An_aspect_ratio_too_extreme_to_resize_is_rejected_at_the_preprocess_stage()
    {
        var e = Assert.Throws<ImageRejectedException>(() => TorchvisionGeometry.ResizedSize(1, 100_000_000, 256));

        Assert.Equal(FailureStage.Preprocess, e.Stage);
        Assert.StartsWith("extreme aspect ratio: 1x100000000", e.Reason, StringComparison.Ordinal);
    }
}

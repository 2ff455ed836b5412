using EfficientNet.Batch.Models;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Preprocessing;
using NetVips;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.UnitTests.Preprocessing;

public class ImagePreprocessorTests
{
    private static readonly ModelSpec B0 = EfficientNetPresets.Create("efficientnet_b0");

    [Fact]
    public void The_tensor_holds_three_planes_of_the_crop()
    {
        var preprocessor = new ImagePreprocessor(TestImages.Spec(255, 240, 200, ResizeInterpolation.Bilinear, TensorLayout.Nchw), new PreprocessingOptions());

        Assert.Equal(3 * 240 * 200, preprocessor.TensorLength);
    }

    [Fact]
    public void A_uniform_image_normalises_each_channel_as_to_tensor_and_normalize_do()
    {
        var preprocessor = new ImagePreprocessor(B0, new PreprocessingOptions());
        var tensor = new float[preprocessor.TensorLength];

        preprocessor.Preprocess(TestImages.Solid(300, 260, 255, 128, 0), tensor);

        var plane = 224 * 224;
        Assert.All(tensor[..plane], v => Assert.Equal(((255 / 255f) - 0.485f) / 0.229f, v));
        Assert.All(tensor[plane..(2 * plane)], v => Assert.Equal(((128 / 255f) - 0.456f) / 0.224f, v));
        Assert.All(tensor[(2 * plane)..], v => Assert.Equal(((0 / 255f) - 0.406f) / 0.225f, v));
    }

    [Fact]
    public void Nchw_holds_colour_planes_and_nhwc_interleaves_the_same_values()
    {
        var png = TestImages.Png(331, 257);
        var nchw = Run(TestImages.Spec(256, 224, 200, ResizeInterpolation.Bicubic, TensorLayout.Nchw), png);
        var nhwc = Run(TestImages.Spec(256, 224, 200, ResizeInterpolation.Bicubic, TensorLayout.Nhwc), png);

        const int width = 224, height = 200, plane = width * height;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(nchw[(c * plane) + (y * width) + x], nhwc[(((y * width) + x) * 3) + c]);
                }
            }
        }
    }

    [Fact]
    public void The_crop_is_the_center_of_the_resized_image()
    {
        // 256x300 needs no resize (short side already 256): the crop is rows 38..262 (38 = round(76 / 2)), columns 16..240.
        var pixels = TestImages.Pattern(256, 300);
        var tensor = Run(B0, TestImages.Encode(pixels, 256, 300, 3));
        var writer = new NormalizedTensorWriter(B0.Preprocess, TensorLayout.Nchw);

        const int plane = 224 * 224;
        foreach (var (x, y) in new[] { (0, 0), (223, 0), (0, 223), (223, 223), (100, 57) })
        {
            var source = (((y + 38) * 256) + x + 16) * 3;
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(writer.Normalize(c, pixels[source + c]), tensor[(c * plane) + (y * 224) + x]);
            }
        }
    }

    [Fact]
    public void A_resized_image_smaller_than_the_crop_is_padded_with_black_as_torchvision_pads()
    {
        var spec = TestImages.Spec(200, 224);
        var tensor = Run(spec, TestImages.Solid(200, 200, 255, 255, 255));
        var writer = new NormalizedTensorWriter(spec.Preprocess, TensorLayout.Nchw);

        for (var y = 0; y < 224; y++)
        {
            for (var x = 0; x < 224; x++)
            {
                var inside = x is >= 12 and < 212 && y is >= 12 and < 212;
                Assert.Equal(writer.Normalize(1, inside ? (byte)255 : (byte)0), tensor[(224 * 224) + (y * 224) + x]);
            }
        }
    }

    [Fact]
    public void A_destination_of_the_wrong_length_is_a_programming_error_not_a_rejection()
    {
        var preprocessor = new ImagePreprocessor(B0, new PreprocessingOptions());

        Assert.Throws<ArgumentException>(() => preprocessor.Preprocess(TestImages.Png(10, 10), new float[10]));
    }

    [Theory]
    [InlineData(PreprocessingMode.Exact)]
    [InlineData(PreprocessingMode.Fast)]
    public void Bad_bytes_are_rejected_in_either_mode(PreprocessingMode mode)
    {
        var preprocessor = new ImagePreprocessor(B0, new PreprocessingOptions { Mode = mode });
        var tensor = new float[preprocessor.TensorLength];
        var jpeg = TestImages.NoisyJpeg();

        byte[][] inputs = [[], "<!DOCTYPE html>"u8.ToArray(), jpeg[..(jpeg.Length / 2)], PngHeaders.Claiming(65500, 65500)];
        foreach (var input in inputs)
        {
            var e = Assert.Throws<ImageRejectedException>(() => preprocessor.Preprocess(input, tensor));
            Assert.Equal(FailureStage.Decode, e.Stage);
        }
    }

    [Fact]
    public void Fast_mode_stays_close_to_exact_mode_on_a_smooth_image_and_turns_it_upright_the_same_way()
    {
        // A smooth gradient stored sideways (orientation 6): if either mode rotated differently the tensors would disagree wildly.
        using var gradient = VipsImage.NewFromMemory(
            TestImages.Pixels(640, 480, 3, (x, y, b) => b == 0 ? x * 255 / 639 : b == 1 ? y * 255 / 479 : 128), 640, 480, 3, Enums.BandFormat.Uchar);
        using var tagged = gradient.Mutate(m => m.Set(GValue.GIntType, "orientation", 6));
        var jpeg = tagged.WriteToBuffer(".jpg[Q=95]");

        var exact = Run(B0, jpeg);
        var fast = Run(B0, jpeg, new PreprocessingOptions { Mode = PreprocessingMode.Fast });

        var maxDifference = exact.Zip(fast, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDifference < 0.1f, $"max |fast - exact| = {maxDifference}");
    }

    [Fact]
    public void Concurrent_calls_on_one_preprocessor_give_the_same_tensors_as_sequential_ones()
    {
        var preprocessor = new ImagePreprocessor(B0, new PreprocessingOptions());
        byte[][] images = [TestImages.Png(500, 375), TestImages.Png(300, 640), TestImages.NoisyJpeg(), TestImages.Png(100, 90, bands: 1)];
        var expected = images.Select(image => Run(B0, image)).ToArray();

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var tensor = new float[preprocessor.TensorLength];
            preprocessor.Preprocess(images[i % images.Length], tensor);
            Assert.Equal(expected[i % images.Length], tensor);
        });
    }

    private static float[] Run(ModelSpec spec, byte[] encoded, PreprocessingOptions? options = null)
    {
        var preprocessor = new ImagePreprocessor(spec, options ?? new PreprocessingOptions());
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Preprocess(encoded, tensor);
        return tensor;
    }
}

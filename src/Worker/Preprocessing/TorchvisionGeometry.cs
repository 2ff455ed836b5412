using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// Where torchvision's Resize(int) + CenterCrop put the pixels of an image of a given size
/// (torchvision 0.14 transforms.functional: _compute_resized_output_size, center_crop).
/// </summary>
/// <param name="ResizedWidth">Width after Resize: the short side becomes the target, the long side int(size * long / short).</param>
/// <param name="ResizedHeight">Height after Resize.</param>
/// <param name="Crop">The crop in resized coordinates; Left/Top are negative where the resized image is smaller than the crop and torchvision pads with zeros.</param>
public readonly record struct TorchvisionGeometry(int ResizedWidth, int ResizedHeight, PixelWindow Crop)
{
    /// <summary>The part of the crop that lies inside the resized image: the only pixels that need resampling.</summary>
    public PixelWindow Visible
    {
        get
        {
            var left = Math.Max(0, Crop.Left);
            var top = Math.Max(0, Crop.Top);
            return new PixelWindow(left, top, Math.Min(ResizedWidth, Crop.Right) - left, Math.Min(ResizedHeight, Crop.Bottom) - top);
        }
    }

    public static TorchvisionGeometry For(int width, int height, PreprocessSpec spec)
    {
        var (resizedWidth, resizedHeight) = ResizedSize(width, height, spec.ResizeShortSide);
        var crop = new PixelWindow(
            CropStart(resizedWidth, spec.CropWidth),
            CropStart(resizedHeight, spec.CropHeight),
            spec.CropWidth,
            spec.CropHeight);
        return new TorchvisionGeometry(resizedWidth, resizedHeight, crop);
    }

    /// <summary>Resize(int): the short side becomes <paramref name="size"/>, the long side int(size * long / short), truncated.</summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int size)
    {
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);

        // Python: int(size * long / short) — an exact integer product, a correctly rounded true division, truncation.
        var newLong = Math.Floor((double)((long)size * longSide) / shortSide);
        if (newLong > int.MaxValue / 4)
        {
            throw ImageRejectedException.Preprocess(
                $"extreme aspect ratio: {width}x{height} resized to a short side of {size} would be {newLong:0} pixels long");
        }

        return width <= height ? (size, (int)newLong) : ((int)newLong, size);
    }

    /// <summary>
    /// CenterCrop's offset along one axis: int(round((size - crop) / 2.0)) with Python's round-half-to-even; when the
    /// image is smaller, torchvision first pads (crop - size) // 2 zeros before it, so the crop starts that far outside.
    /// </summary>
    public static int CropStart(int size, int crop) =>
        crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);
}

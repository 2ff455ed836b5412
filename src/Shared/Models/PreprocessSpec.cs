namespace EfficientNet.Batch.Models;

/// <summary>
/// The model's training transform, as torchvision writes it:
/// Resize(<see cref="ResizeShortSide"/>, <see cref="Interpolation"/>) → CenterCrop(<see cref="CropWidth"/> x <see cref="CropHeight"/>)
/// → ToTensor (divide by <see cref="Scale"/>) → Normalize(<see cref="Mean"/>, <see cref="Std"/>).
/// </summary>
public sealed record PreprocessSpec
{
    /// <summary>Target length of the image's shorter side; the longer side keeps the aspect ratio (torchvision Resize(int)).</summary>
    public required int ResizeShortSide { get; init; }
    public ResizeInterpolation Interpolation { get; init; } = ResizeInterpolation.Bilinear;
    public required int CropWidth { get; init; }
    public required int CropHeight { get; init; }
    public float Scale { get; init; } = 255f;
    public float[] Mean { get; init; } = [0.485f, 0.456f, 0.406f];
    public float[] Std { get; init; } = [0.229f, 0.224f, 0.225f];
}

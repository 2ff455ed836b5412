namespace EfficientNet.Batch.Models;

/// <summary>Resampling filter of the Resize step, with the meaning PIL (and so torchvision) gives it.</summary>
public enum ResizeInterpolation
{
    Nearest,
    Bilinear,
    Bicubic,
}

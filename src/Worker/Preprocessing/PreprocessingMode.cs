namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>How the Resize step is computed. See docs/preprocessing.md for the measured deviation and speed of each.</summary>
public enum PreprocessingMode
{
    /// <summary>Full decode and Pillow's resampling reproduced bit for bit: the tensor torchvision would give.</summary>
    Exact,

    /// <summary>libvips shrink-on-load thumbnail: faster on large JPEGs, pixels differ from torchvision's.</summary>
    Fast,
}

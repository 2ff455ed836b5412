namespace EfficientNet.Batch.Models;

/// <summary>Memory layout of the model's image input.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channels, height, width]: PyTorch/torchvision exports.</summary>
    Nchw,
    /// <summary>[batch, height, width, channels]: TensorFlow/Keras exports.</summary>
    Nhwc,
}

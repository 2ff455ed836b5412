using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// An image cannot be turned into a tensor: not an image, corrupt, truncated, too large, or of an impossible geometry.
/// <see cref="Stage"/> is <see cref="FailureStage.Decode"/> or <see cref="FailureStage.Preprocess"/>; the message is <see cref="Reason"/>.
/// </summary>
public sealed class ImageRejectedException : Exception
{
    public ImageRejectedException(string stage, string reason) : base(reason)
    {
        Stage = stage;
        Reason = reason;
    }

    public ImageRejectedException(string stage, string reason, Exception inner) : base(reason, inner)
    {
        Stage = stage;
        Reason = reason;
    }

    public string Stage { get; }

    public string Reason { get; }

    internal static ImageRejectedException Decode(string reason, Exception? inner = null) =>
        inner is null ? new(FailureStage.Decode, reason) : new(FailureStage.Decode, reason, inner);

    internal static ImageRejectedException Preprocess(string reason) => new(FailureStage.Preprocess, reason);
}

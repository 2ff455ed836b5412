namespace EfficientNet.Batch.Storage.Images;

/// <summary>One image could not be read from its store; the image becomes a failures row with stage "fetch".</summary>
public sealed class ImageFetchException : Exception
{
    public ImageFetchException(string message) : base(message) { }
    public ImageFetchException(string message, Exception inner) : base(message, inner) { }
}

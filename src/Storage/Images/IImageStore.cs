namespace EfficientNet.Batch.Storage.Images;

/// <summary>Reads the encoded bytes of one image by its key. Implementations are safe for concurrent use.</summary>
public interface IImageStore
{
    /// <summary>
    /// Reads the whole file. Throws <see cref="ImageFetchException"/> with a readable reason when the key does not
    /// exist, escapes the store's root, or is larger than the configured maximum.
    /// </summary>
    Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken);
}

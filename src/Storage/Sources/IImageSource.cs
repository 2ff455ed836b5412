namespace EfficientNet.Batch.Storage.Sources;

/// <summary>Enumerates the image keys of a corpus, streamed: never the whole listing in memory.</summary>
public interface IImageSource
{
    /// <summary>A stable, human-readable description of the source (e.g. the folder's full path), stored with the run.</summary>
    string Location { get; }

    /// <summary>Keys relative to the source's root, '/'-separated, in a deterministic order.</summary>
    IAsyncEnumerable<string> EnumerateKeysAsync(CancellationToken cancellationToken);
}

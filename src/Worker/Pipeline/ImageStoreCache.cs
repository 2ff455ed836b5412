using System.Collections.Concurrent;
using EfficientNet.Batch.Storage.Images;

namespace EfficientNet.Batch.Worker.Pipeline;

/// <summary>One image store per source location, shared by every shard that reads from it.</summary>
public sealed class ImageStoreCache(IImageStoreFactory factory)
{
    private readonly ConcurrentDictionary<string, IImageStore> _stores = new(StringComparer.Ordinal);

    public IImageStore Get(string location) => _stores.GetOrAdd(location, factory.Create);
}

using System.Collections.Concurrent;
using EfficientNet.Batch.Storage.Images;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Worker.Pipeline;

/// <summary>One image store per source location, shared by every shard that reads from it.</summary>
public sealed class ImageStoreCache(IOptions<PipelineOptions> options)
{
    private readonly ConcurrentDictionary<string, IImageStore> _stores = new(StringComparer.Ordinal);

    public IImageStore Get(string location) =>
        _stores.GetOrAdd(location, l => ImageStoreFactory.Create(l, options.Value.MaxImageBytes));
}

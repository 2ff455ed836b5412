using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Storage.Images;

/// <inheritdoc cref="IImageStoreFactory"/>
public sealed class ImageStoreFactory(BlobAccount blobs, IOptions<ImageStoreOptions> options) : IImageStoreFactory
{
    public IImageStore Create(string location) => ImageLocation.Parse(location) switch
    {
        LocalFolderLocation folder => new LocalFolderImageStore(folder.Folder, options.Value.MaxImageBytes),
        BlobLocation blob => new BlobImageStore(blobs.Container(blob.Container), blob.Prefix, options.Value.MaxImageBytes),
        ManifestLocation manifest => new ManifestImageStore(manifest.ManifestPath, blobs, options.Value),
        var other => throw new NotSupportedException($"no image store for {other}"),
    };
}

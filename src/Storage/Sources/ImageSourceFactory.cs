using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Storage.Sources;

/// <inheritdoc cref="IImageSourceFactory"/>
public sealed class ImageSourceFactory(BlobAccount blobs, IOptions<ImageStoreOptions> options) : IImageSourceFactory
{
    public IImageSource Create(string location) => ImageLocation.Parse(location) switch
    {
        LocalFolderLocation folder => new LocalFolderSource(folder.Folder),
        BlobLocation blob => new BlobImageSource(blobs.Container(blob.Container), blob, options.Value.ListPageSize),
        ManifestLocation manifest => new ManifestImageSource(manifest),
        var other => throw new NotSupportedException($"no image source for {other}"),
    };
}

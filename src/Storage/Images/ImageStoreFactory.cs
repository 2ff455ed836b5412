using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Storage.Images;

/// <summary>Creates the image store that resolves a run's keys, from the run's location (ShardOptions.ImageSource).</summary>
public static class ImageStoreFactory
{
    /// <exception cref="NotSupportedException">The location is not a local folder (e.g. az://, a manifest file).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IImageStore Create(string location, long maxBytes) =>
        new LocalFolderImageStore(ImageLocation.LocalFolder(location), maxBytes);
}

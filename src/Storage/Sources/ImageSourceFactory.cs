namespace EfficientNet.Batch.Storage.Sources;

/// <summary>Creates the image source of a run from its location (runs.source).</summary>
public static class ImageSourceFactory
{
    /// <exception cref="NotSupportedException">The location is not a local folder (e.g. az://, a manifest file).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IImageSource Create(string location) => new LocalFolderSource(ImageLocation.LocalFolder(location));
}

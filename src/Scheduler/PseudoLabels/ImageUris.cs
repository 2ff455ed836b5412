using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>Where a trainer reads an image: the key resolved against its run's source (folder, az:// prefix or manifest folder).</summary>
public static class ImageUris
{
    /// <summary>Parses the source once (for a folder that touches the file system) and resolves its keys.</summary>
    public static Func<string, string> For(string source)
    {
        Func<string, string> resolve = ImageLocation.Parse(source) switch
        {
            BlobLocation blob => key => $"{BlobLocation.UriPrefix}{blob.Container}/{blob.BlobName(key)}",
            ManifestLocation manifest => key => Path.Join(manifest.Folder, key),
            LocalFolderLocation folder => key => Path.Join(folder.Folder, key),
            var other => key => $"{other}/{key}",
        };

        // Manifest lines may already be absolute paths or az:// URIs.
        return key => key.Contains("://", StringComparison.Ordinal) || Path.IsPathRooted(key) ? key : resolve(key);
    }
}

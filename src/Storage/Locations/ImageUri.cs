namespace EfficientNet.Batch.Storage.Locations;

/// <summary>Where one image of a source is, as a user or a trainer would open it: a local path or an az:// URI.</summary>
public static class ImageUri
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

    /// <summary>One key's URI; a source that no longer parses gives the key itself.</summary>
    public static string Of(string source, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return For(source)(key);
        }
        catch (Exception e) when (e is NotSupportedException or FormatException)
        {
            return key;
        }
    }
}

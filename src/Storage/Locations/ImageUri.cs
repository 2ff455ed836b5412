namespace EfficientNet.Batch.Storage.Locations;

/// <summary>Where one image of a source is, as a user would open it: a local path or an az:// URI.</summary>
public static class ImageUri
{
    public static string Of(string source, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return ImageLocation.Parse(source) switch
            {
                LocalFolderLocation folder => Path.Combine(folder.Folder, key),
                BlobLocation blob => $"{BlobLocation.UriPrefix}{blob.Container}/{blob.BlobName(key)}",
                ManifestLocation manifest => key.Contains("://", StringComparison.Ordinal) || Path.IsPathRooted(key) ? key : Path.Combine(manifest.Folder, key),
                _ => key,
            };
        }
        catch (Exception e) when (e is NotSupportedException or FormatException)
        {
            return key;
        }
    }
}

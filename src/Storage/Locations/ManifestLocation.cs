namespace EfficientNet.Batch.Storage.Locations;

/// <summary>
/// A manifest file (absolute path) listing one image reference per line; each reference is also the image's key.
/// The file is read by the source only: a worker needs the manifest's folder only for keys relative to it.
/// </summary>
public sealed record ManifestLocation(string ManifestPath) : ImageLocation
{
    public static IReadOnlyList<string> Extensions { get; } = [".txt", ".csv", ".jsonl", ".ndjson"];

    /// <summary>The manifest's folder: relative references resolve against it.</summary>
    public string Folder => Path.GetDirectoryName(ManifestPath)!;

    public ManifestFormat Format => Path.GetExtension(ManifestPath).ToLowerInvariant() switch
    {
        ".csv" => ManifestFormat.Csv,
        ".jsonl" or ".ndjson" => ManifestFormat.JsonLines,
        _ => ManifestFormat.Text,
    };

    public static bool IsManifestFile(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    public override string ToString() => ManifestPrefix + ManifestPath;

    internal static ManifestLocation FromPath(string path, string location)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new FormatException($"'{location}' names no manifest file: give manifest:<path to .txt, .csv or .jsonl>");
        }

        if (path.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            path = new Uri(path).LocalPath;
        }
        else if (path.Contains("://", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"manifests are read from local files, not {path}: copy the manifest here (its lines may be az:// URIs)");
        }

        var full = Path.GetFullPath(path);
        return IsManifestFile(full)
            ? new ManifestLocation(full)
            : throw new NotSupportedException($"manifest {full} must end in {string.Join(", ", Extensions)} (the extension says how to read it)");
    }
}

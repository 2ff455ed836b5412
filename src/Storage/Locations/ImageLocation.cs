using System.Text.RegularExpressions;
using EfficientNet.Batch.Hosting;

namespace EfficientNet.Batch.Storage.Locations;

/// <summary>
/// Where a run's images are, parsed from the location a user gives (and every shard carries as
/// ShardOptions.ImageSource). <see cref="ToString"/> is the canonical form: parsing it again gives the same location,
/// on any machine (paths are absolute).
/// <list type="bullet">
/// <item>a local folder path or <c>file://</c> URI → <see cref="LocalFolderLocation"/></item>
/// <item><c>az://&lt;container&gt;[/&lt;prefix&gt;]</c> → <see cref="BlobLocation"/> (account: ConnectionStrings:Blob)</item>
/// <item><c>manifest:&lt;file.txt|.csv|.jsonl&gt;</c>, or a path to such a file → <see cref="ManifestLocation"/></item>
/// </list>
/// </summary>
public abstract partial record ImageLocation
{
    public const string ManifestPrefix = "manifest:";

    /// <exception cref="NotSupportedException">An unknown scheme, an http(s) URL, or a file that is not a manifest.</exception>
    /// <exception cref="FormatException">A malformed az:// or manifest: location.</exception>
    public static ImageLocation Parse(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        if (location.StartsWith(ManifestPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return ManifestLocation.FromPath(location[ManifestPrefix.Length..], location);
        }

        var scheme = SchemePattern().Match(location);
        if (!scheme.Success)
        {
            return FromLocalPath(location);
        }

        return scheme.Groups[1].Value.ToLowerInvariant() switch
        {
            "file" => FromLocalPath(new Uri(location).LocalPath),
            BlobLocation.Scheme => BlobLocation.FromUri(location),
            "http" or "https" => throw new NotSupportedException(
                $"http(s) URLs are not image locations: {SecretRedactor.Redact(location)}; for Azure Blob Storage give "
                + "az://<container>/<prefix> and the account in ConnectionStrings:Blob"),
            var name => throw new NotSupportedException(
                $"unknown image location scheme '{name}://' in {SecretRedactor.Redact(location)}: give a local folder, "
                + "az://<container>/<prefix> or manifest:<file.txt|.csv|.jsonl>"),
        };
    }

    private static ImageLocation FromLocalPath(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            return ManifestLocation.IsManifestFile(full)
                ? new ManifestLocation(full)
                : throw new NotSupportedException(
                    $"{full} is a file, not a folder; a manifest must end in {string.Join(", ", ManifestLocation.Extensions)}");
        }

        return new LocalFolderLocation(full);
    }

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]*)://")]
    private static partial Regex SchemePattern();
}

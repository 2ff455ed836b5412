using System.Text.RegularExpressions;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>Interprets a run's image location: today a local folder path (or file:// URI); anything else is refused with the reason.</summary>
internal static partial class ImageLocation
{
    public static string LocalFolder(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        var scheme = SchemePattern().Match(location);
        if (scheme.Success)
        {
            var name = scheme.Groups[1].Value.ToLowerInvariant();
            return name switch
            {
                "file" => new Uri(location).LocalPath,
                "az" or "azure" or "abfs" or "abfss" or "http" or "https" =>
                    throw new NotSupportedException($"{name}:// sources need distributed mode (not yet supported): {location}"),
                _ => throw new NotSupportedException($"unknown image location scheme '{name}://' in {location}: give a local folder path"),
            };
        }

        if (File.Exists(location))
        {
            throw new NotSupportedException($"{location} is a file; manifest sources are not yet supported: give a folder");
        }

        return location;
    }

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]*)://")]
    private static partial Regex SchemePattern();
}

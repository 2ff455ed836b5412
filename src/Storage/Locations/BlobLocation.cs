using System.Text.RegularExpressions;

namespace EfficientNet.Batch.Storage.Locations;

/// <summary>
/// <c>az://&lt;container&gt;[/&lt;prefix&gt;]</c>: the blobs of a container in the account of ConnectionStrings:Blob
/// whose names start with <c>prefix/</c> (a folder, not a string prefix: az://c/cats does not list cats2/x.jpg).
/// A key is the blob name relative to the prefix, so the store of the same location resolves every listed key.
/// </summary>
public sealed partial record BlobLocation(string Container, string Prefix) : ImageLocation
{
    public const string Scheme = "az";
    public const string UriPrefix = "az://";

    /// <summary>The listing prefix: <c>prefix/</c>, or null for the whole container.</summary>
    public string? ListPrefix => Prefix.Length == 0 ? null : Prefix + "/";

    /// <summary>The full blob name of a key listed under this location.</summary>
    public string BlobName(string key) => Prefix.Length == 0 ? key : Prefix + "/" + key;

    public override string ToString() => Prefix.Length == 0 ? UriPrefix + Container : $"{UriPrefix}{Container}/{Prefix}";

    /// <summary>Parses <c>az://container/name</c>, one blob (manifest lines, model URIs).</summary>
    /// <exception cref="FormatException">Not an az:// URI, an invalid container name, or no blob name.</exception>
    public static (string Container, string BlobName) ParseBlobUri(string uri)
    {
        var (container, name) = Split(uri);
        if (name.Length == 0 || name.EndsWith('/'))
        {
            throw new FormatException($"'{uri}' names no blob: give az://<container>/<path/to/blob>");
        }

        return (container, CheckSegments(name, uri));
    }

    internal static BlobLocation FromUri(string location)
    {
        var (container, prefix) = Split(location);
        prefix = prefix.TrimEnd('/');
        return new BlobLocation(container, prefix.Length == 0 ? "" : CheckSegments(prefix, location));
    }

    /// <summary>Why a key cannot name a blob under a prefix, or null when it can.</summary>
    public static string? KeyProblem(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "empty image key";
        }

        if (key.Contains('\0', StringComparison.Ordinal))
        {
            return $"image key contains a NUL character: {key.Replace("\0", "\\0", StringComparison.Ordinal)}";
        }

        if (key.StartsWith('/') || key.EndsWith('/'))
        {
            return $"not a blob name relative to the prefix (leading or trailing '/'): {key}";
        }

        // The SDK escapes each segment but not dots, and System.Uri then removes "." and ".." segments: a key
        // "../x.jpg" would silently read a blob outside the prefix.
        foreach (var segment in key.Split('/'))
        {
            if (segment is "." or "..")
            {
                return $"image key has a '{segment}' segment, which would leave the prefix: {key}";
            }
        }

        return null;
    }

    private static (string Container, string Remainder) Split(string location)
    {
        if (!location.StartsWith(UriPrefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{location}' is not an az:// URI: give az://<container>/<prefix>");
        }

        var body = location[UriPrefix.Length..];
        var slash = body.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? body : body[..slash];
        if (!ContainerName().IsMatch(container))
        {
            throw new FormatException(
                $"'{container}' in {location} is not a blob container name (3-63 lowercase letters, digits and single "
                + "hyphens, starting and ending with a letter or digit): give az://<container>/<prefix>");
        }

        return (container, slash < 0 ? "" : body[(slash + 1)..]);
    }

    private static string CheckSegments(string name, string location)
    {
        foreach (var segment in name.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                throw new FormatException($"'{name}' in {location} has an empty, '.' or '..' segment");
            }
        }

        return name;
    }

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex ContainerName();
}

using System.Collections.Concurrent;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Storage.Images;

/// <summary>
/// Reads the images of a manifest, each key being a reference as the manifest wrote it:
/// <list type="bullet">
/// <item><c>az://container/blob</c>: that blob, in the account of ConnectionStrings:Blob;</item>
/// <item>a relative path: a file under the manifest's folder ("./" and inner ".." that stay inside are fine);</item>
/// <item>an absolute path or <c>file://</c> URI: read if it lies under the manifest's folder.</item>
/// </list>
/// Local files outside the manifest's folder (and symbolic links leading out of it) are refused unless
/// <see cref="ImageStoreOptions.AllowManifestPathsOutsideFolder"/> is set. The manifest file itself is never read
/// here, so a worker needs only what its keys reference.
/// </summary>
public sealed class ManifestImageStore : IImageStore
{
    private readonly string _folder;
    private readonly BlobAccount _blobs;
    private readonly ImageStoreOptions _options;
    private readonly ConcurrentDictionary<string, BlobImageStore> _containers = new(StringComparer.Ordinal);
    private LocalFolderImageStore? _local;
    private LocalFolderImageStore? _anywhere;

    public ManifestImageStore(string manifestPath, BlobAccount blobs, ImageStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifestPath);
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(options);
        _folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        _blobs = blobs;
        _options = options;
    }

    public Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ImageFetchException("empty image key");
        }

        if (key.StartsWith(BlobLocation.UriPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return ReadBlobAsync(key, cancellationToken);
        }

        if (key.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return ReadLocalAsync(key, new Uri(key).LocalPath, cancellationToken);
        }

        return key.Contains("://", StringComparison.Ordinal)
            ? throw new ImageFetchException(
                $"unsupported reference in a manifest: {SecretRedactor.Redact(key)} (give a path or az://<container>/<blob>)")
            : ReadLocalAsync(key, key, cancellationToken);
    }

    private Task<byte[]> ReadBlobAsync(string key, CancellationToken cancellationToken)
    {
        string container, name;
        try
        {
            (container, name) = BlobLocation.ParseBlobUri(key);
        }
        catch (FormatException e)
        {
            throw new ImageFetchException(e.Message);
        }

        // A missing ConnectionStrings:Blob throws InvalidOperationException here: the shard fails, naming the key.
        var store = _containers.GetOrAdd(container, c => new BlobImageStore(_blobs.Container(c), "", _options.MaxImageBytes));
        return store.ReadAsync(name, cancellationToken);
    }

    private Task<byte[]> ReadLocalAsync(string key, string path, CancellationToken cancellationToken)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageFetchException($"image key contains a NUL character: {key.Replace("\0", "\\0", StringComparison.Ordinal)}");
        }

        var full = Path.GetFullPath(path, _folder);
        if (_options.AllowManifestPathsOutsideFolder)
        {
            var root = Path.GetPathRoot(full)!;
            _anywhere ??= new LocalFolderImageStore(root, _options.MaxImageBytes);
            return _anywhere.ReadAsync(Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/'), cancellationToken);
        }

        var relative = Path.GetRelativePath(_folder, full);
        if (relative == ".")
        {
            throw new ImageFetchException($"a folder, not a file: {key}");
        }

        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ImageFetchException(
                $"manifest references a file outside its folder {_folder}: {key} "
                + $"(set {ImageStoreOptions.SectionName}:{nameof(ImageStoreOptions.AllowManifestPathsOutsideFolder)}=true to allow)");
        }

        return Local().ReadAsync(relative.Replace(Path.DirectorySeparatorChar, '/'), cancellationToken);
    }

    private LocalFolderImageStore Local()
    {
        if (_local is null)
        {
            if (!Directory.Exists(_folder))
            {
                // Not one image's fault: this worker cannot see the manifest's folder at all.
                throw new DirectoryNotFoundException($"the manifest's folder is not on this machine: {_folder}");
            }

            _local = new LocalFolderImageStore(_folder, _options.MaxImageBytes);
        }

        return _local;
    }
}

namespace EfficientNet.Batch.Storage.Images;

/// <summary>
/// Reads images from a folder on this machine. A key is a '/'-separated path relative to the folder; keys that
/// would leave the folder ("..", absolute paths, symbolic links resolving outside it) are refused, as are files
/// over the size limit. Stateless after construction, so safe for concurrent reads.
/// </summary>
public sealed class LocalFolderImageStore : IImageStore
{
    private readonly string _realRoot;
    private readonly long _maxBytes;

    public LocalFolderImageStore(string rootFolder, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootFolder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        RootFolder = Path.GetFullPath(rootFolder);
        if (!Directory.Exists(RootFolder))
        {
            throw new DirectoryNotFoundException($"image folder not found: {RootFolder}");
        }

        _realRoot = RealPath.Resolve(RootFolder);
        _maxBytes = maxBytes;
    }

    public string RootFolder { get; }

    public async Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = Resolve(key);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageFetchException($"file not found: {key}", ex);
        }
        catch (UnauthorizedAccessException ex) when (Directory.Exists(path))
        {
            throw new ImageFetchException($"a folder, not a file: {key}", ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new ImageFetchException($"cannot open {key}: {ex.Message}", ex);
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            if (length > _maxBytes)
            {
                throw new ImageFetchException($"file is {length:N0} bytes, over the limit of {_maxBytes:N0} bytes: {key}");
            }

            if (length == 0)
            {
                throw new ImageFetchException($"file is empty: {key}");
            }

            var bytes = new byte[length];
            var read = 0;
            try
            {
                while (read < bytes.Length)
                {
                    var n = await RandomAccess.ReadAsync(handle, bytes.AsMemory(read), read, cancellationToken);
                    if (n == 0)
                    {
                        throw new ImageFetchException($"file shrank from {length:N0} to {read:N0} bytes while being read: {key}");
                    }

                    read += n;
                }
            }
            catch (IOException ex)
            {
                throw new ImageFetchException($"cannot read {key}: {ex.Message}", ex);
            }

            return bytes;
        }
    }

    private string Resolve(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ImageFetchException("empty image key");
        }

        if (key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageFetchException($"image key contains a NUL character: {key.Replace("\0", "\\0", StringComparison.Ordinal)}");
        }

        if (key.StartsWith('/') || Path.IsPathRooted(key))
        {
            throw new ImageFetchException($"absolute paths are not image keys: {key}");
        }

        var segments = key.Split('/');
        foreach (var segment in segments)
        {
            if (segment == "..")
            {
                throw new ImageFetchException($"image key escapes the image folder: {key}");
            }

            if (segment is "" or "." || (Path.DirectorySeparatorChar != '/' && segment.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                throw new ImageFetchException($"not a normalized '/'-separated relative key: {key}");
            }
        }

        string path;
        try
        {
            path = RealPath.Resolve(_realRoot, segments);
        }
        catch (IOException ex)
        {
            throw new ImageFetchException($"cannot resolve {key}: {ex.Message}", ex);
        }

        if (!RealPath.IsInside(path, _realRoot))
        {
            throw new ImageFetchException($"symbolic link leads outside the image folder: {key}");
        }

        return path;
    }
}

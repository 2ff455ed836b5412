using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Storage.Images;

/// <summary>
/// Reads images from a container, a key being a blob name relative to the prefix (as <see cref="BlobImageSource"/>
/// lists them). One GET per image: its Content-Length is checked against the limit before the body is read. The
/// SDK retries transient failures (and resumes a broken body from where it stopped, against the same ETag).
/// Per image, a missing, empty, oversized or changed blob is an <see cref="ImageFetchException"/>; storage that
/// cannot be reached or refuses access is a <see cref="BlobStorageException"/>, which fails the shard.
/// </summary>
public sealed class BlobImageStore : IImageStore
{
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly long _maxBytes;

    public BlobImageStore(BlobContainerClient container, string prefix, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _container = container;
        _prefix = prefix.Trim('/');
        _maxBytes = maxBytes;
    }

    public async Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken)
    {
        if (BlobLocation.KeyProblem(key) is { } problem)
        {
            throw new ImageFetchException(problem);
        }

        var name = _prefix.Length == 0 ? key : _prefix + "/" + key;
        var shown = $"{_container.Name}/{name}";
        BlobDownloadStreamingResult download;
        try
        {
            download = (await _container.GetBlobClient(name).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ImageFetchException(e.ErrorCode == BlobErrorCode.ContainerNotFound
                ? $"blob not found: {shown} (container '{_container.Name}' does not exist)"
                : $"blob not found: {shown}");
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            throw new BlobStorageException($"access denied reading {shown} ({BlobErrors.Describe(e)}): check {BlobAccount.ConfigurationKey}");
        }
        catch (RequestFailedException e) when (e.Status is >= 400 and < 500)
        {
            throw new ImageFetchException($"cannot read blob {shown}: {BlobErrors.Describe(e)}");
        }
        catch (Exception e) when (BlobErrors.IsRequestFailure(e))
        {
            throw new BlobStorageException($"cannot read {shown}: {BlobErrors.Describe(e)}");
        }

        using (download)
        {
            var length = download.Details.ContentLength;
            if (length > _maxBytes)
            {
                throw new ImageFetchException($"blob is {length:N0} bytes, over the limit of {_maxBytes:N0} bytes: {shown}");
            }

            if (length == 0)
            {
                throw new ImageFetchException($"blob is empty: {shown}");
            }

            var bytes = new byte[length];
            try
            {
                await download.Content.ReadExactlyAsync(bytes, cancellationToken);
            }
            catch (EndOfStreamException)
            {
                throw new ImageFetchException($"blob ended before its {length:N0} bytes: {shown}");
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                throw new ImageFetchException($"blob changed while being read: {shown}");
            }
            catch (Exception e) when (e is IOException || BlobErrors.IsRequestFailure(e))
            {
                throw new BlobStorageException($"reading {shown} failed: {BlobErrors.Describe(e)}");
            }

            return bytes;
        }
    }
}

using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>
/// Lists the images under an az:// location one page at a time (at most <c>pageSize</c> names in memory), in the
/// service's order, which is lexicographic by blob name and so the same on every run. Keys are blob names relative
/// to the prefix. Skipped, as in local folders: names without an image extension (<see cref="ImageFileExtensions"/>)
/// and names with a segment starting with '.' (hidden files and folders).
/// </summary>
public sealed class BlobImageSource : IImageSource
{
    private readonly BlobContainerClient _container;
    private readonly BlobLocation _location;
    private readonly int _pageSize;

    public BlobImageSource(BlobContainerClient container, BlobLocation location, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(location);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        _container = container;
        _location = location;
        _pageSize = pageSize;
    }

    public string Location => _location.ToString();

    public async IAsyncEnumerable<string> EnumerateKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = _location.ListPrefix;
        var pages = _container
            .GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken)
            .AsPages(continuationToken: null, pageSizeHint: _pageSize)
            .GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await NextPageAsync(pages))
            {
                foreach (var blob in pages.Current.Values)
                {
                    var key = prefix is null ? blob.Name : blob.Name[prefix.Length..];
                    if (IsListed(key))
                    {
                        yield return key;
                    }
                }
            }
        }
        finally
        {
            await pages.DisposeAsync();
        }
    }

    private static bool IsListed(string key) =>
        ImageFileExtensions.IsImage(key) && !key.StartsWith('.') && !key.Contains("/.", StringComparison.Ordinal);

    private async Task<bool> NextPageAsync(IAsyncEnumerator<Page<BlobItem>> pages)
    {
        try
        {
            return await pages.MoveNextAsync();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BlobStorageException($"cannot list {Location}: container '{_container.Name}' not found ({BlobErrors.Describe(e)})");
        }
        catch (Exception e) when (BlobErrors.IsRequestFailure(e))
        {
            throw new BlobStorageException($"cannot list {Location}: {BlobErrors.Describe(e)}");
        }
    }
}

using System.Diagnostics;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

/// <summary>More blobs than the service returns in one page (5,000), listed with the production page size.</summary>
public sealed class BlobListingScaleTests(BlobContainerFixture container, ITestOutputHelper output) : IClassFixture<BlobContainerFixture>
{
    private const int Count = 5_500;

    [Fact]
    public async Task A_listing_longer_than_one_service_page_yields_every_key_once_in_order()
    {
        var watch = Stopwatch.StartNew();
        var names = Enumerable.Range(0, Count).Select(i => $"{i / 100:D2}/{i:D5}.jpg").ToArray();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (name, ct) =>
            await container.Client.GetBlobClient("big/" + name).UploadAsync(BinaryData.FromBytes([0xFF]), ct));
        output.WriteLine($"uploaded {Count} blobs in {watch.Elapsed.TotalSeconds:F1} s");

        watch.Restart();
        var source = new BlobImageSource(container.Client, new BlobLocation(container.Name, "big"), pageSize: 5000);
        var keys = new List<string>(Count);
        await foreach (var key in source.EnumerateKeysAsync(CancellationToken.None))
        {
            keys.Add(key);
        }

        output.WriteLine($"listed {keys.Count} keys in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(names, keys);
    }
}

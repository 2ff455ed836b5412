using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

public sealed class BlobImageSourceTests(BlobContainerFixture container) : IClassFixture<BlobContainerFixture>
{
    private static readonly byte[] Tiny = [0xFF, 0xD8, 0xFF];

    [Fact]
    public async Task Keys_are_blob_names_relative_to_the_prefix_in_lexicographic_order()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await UploadAsync(prefix, "b.jpg", "a.jpg", "sub/z.png", "sub/deeper/y.jpg", "B.JPG", "a-b/c.gif", "été/猫.webp");

        var keys = await KeysAsync($"az://{container.Name}/{prefix}");

        Assert.Equal(["B.JPG", "a-b/c.gif", "a.jpg", "b.jpg", "sub/deeper/y.jpg", "sub/z.png", "été/猫.webp"], keys);
        Assert.Equal(keys, await KeysAsync($"az://{container.Name}/{prefix}/"));
    }

    [Fact]
    public async Task Only_image_extensions_are_listed_and_hidden_names_are_skipped()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await UploadAsync(prefix, "a.JPG", "b.Jpeg", "c.txt", "d", "e.jpg.part", "f.bmp", ".hidden.jpg", ".thumbs/g.jpg", "h/.i.png", "ok/j.avif", "k.psd");

        Assert.Equal(["a.JPG", "b.Jpeg", "f.bmp", "ok/j.avif"], await KeysAsync($"az://{container.Name}/{prefix}"));
    }

    [Fact]
    public async Task A_prefix_is_a_folder_not_the_start_of_a_name()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await UploadAsync(prefix, "cats/a.jpg", "cats2/b.jpg", "cats.jpg", "cats/kittens/c.jpg");

        Assert.Equal(["a.jpg", "kittens/c.jpg"], await KeysAsync($"az://{container.Name}/{prefix}/cats"));
        Assert.Equal(["c.jpg"], await KeysAsync($"az://{container.Name}/{prefix}/cats/kittens"));
    }

    [Fact]
    public async Task Without_a_prefix_the_whole_container_is_listed_with_full_names()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await UploadAsync(prefix, "x.jpg");

        var keys = await KeysAsync($"az://{container.Name}");

        Assert.Contains($"{prefix}/x.jpg", keys);
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public async Task The_listing_is_fetched_page_by_page_while_keys_are_consumed()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        var names = Enumerable.Range(0, 23).Select(i => $"{i:D3}.jpg").ToArray();
        await UploadAsync(prefix, names);
        var source = Factory(new ImageStoreOptions { ListPageSize = 5 }).Create($"az://{container.Name}/{prefix}");

        var keys = new List<string>();
        await foreach (var key in source.EnumerateKeysAsync(CancellationToken.None))
        {
            if (keys.Count == 0)
            {
                // Added after the first page was read: only a listing that asks for later pages later can see it.
                await UploadAsync(prefix, "999-late.jpg");
            }

            keys.Add(key);
        }

        Assert.Equal([.. names, "999-late.jpg"], keys);
    }

    [Fact]
    public async Task The_location_is_the_canonical_az_uri()
    {
        var source = Factory().Create($"AZ://{container.Name}/some/prefix/");

        Assert.Equal($"az://{container.Name}/some/prefix", source.Location);
        Assert.IsType<BlobImageSource>(source);
    }

    [Fact]
    public async Task A_missing_container_stops_the_listing_naming_it()
    {
        var source = Factory().Create("az://enb-no-such-container/x");

        var error = await Assert.ThrowsAsync<BlobStorageException>(() => KeysAsync(source));

        Assert.Contains("cannot list az://enb-no-such-container/x: container 'enb-no-such-container' not found (HTTP 404 ContainerNotFound", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_stops_when_cancelled()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await UploadAsync(prefix, "a.jpg", "b.jpg");
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Factory().Create($"az://{container.Name}/{prefix}").EnumerateKeysAsync(cancel.Token))
            {
            }
        });
    }

    private static ImageSourceFactory Factory(ImageStoreOptions? options = null)
    {
        options ??= Azurite.FastRetries();
        return new ImageSourceFactory(Azurite.Account(options), Options.Create(options));
    }

    private Task<List<string>> KeysAsync(string location) => KeysAsync(Factory().Create(location));

    private static async Task<List<string>> KeysAsync(IImageSource source)
    {
        var keys = new List<string>();
        await foreach (var key in source.EnumerateKeysAsync(CancellationToken.None))
        {
            keys.Add(key);
        }

        return keys;
    }

    private Task UploadAsync(string prefix, params string[] names) =>
        Task.WhenAll(names.Select(n => container.UploadAsync($"{prefix}/{n}", Tiny)));
}

using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

/// <summary>Manifests listing local files and az:// blobs, read back through the store of the same location.</summary>
public sealed class ManifestSourceTests : IClassFixture<BlobContainerFixture>, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly BlobContainerFixture _container;
    private readonly TempDirectory _folder = new("enb-manifest");
    private readonly TempDirectory _outside = new("enb-outside");

    public ManifestSourceTests(BlobContainerFixture container)
    {
        _container = container;
        Directory.CreateDirectory(_folder.File("imgs/sub"));
        File.WriteAllBytes(_folder.File("imgs/a.jpg"), [1]);
        File.WriteAllBytes(_folder.File("imgs/sub/b.png"), [2]);
        File.WriteAllBytes(_outside.File("secret.jpg"), [6, 6, 6]);
    }

    public void Dispose()
    {
        _folder.Dispose();
        _outside.Dispose();
    }

    [Theory]
    [InlineData("list.txt", "imgs/a.jpg\n./imgs/sub/b.png\n{blob}\n")]
    [InlineData("list.csv", "label,path\ncat,imgs/a.jpg\ndog,./imgs/sub/b.png\nbird,{blob}\n")]
    [InlineData("list.jsonl", "{\"key\":\"imgs/a.jpg\"}\n{\"path\":\"./imgs/sub/b.png\"}\n{\"uri\":\"{blob}\"}\n")]
    public async Task Each_format_lists_its_references_and_the_store_reads_local_and_blob_keys(string name, string content)
    {
        var prefix = BlobContainerFixture.NewPrefix();
        var blob = $"az://{_container.Name}/{prefix}/c.webp";
        await _container.UploadAsync($"{prefix}/c.webp", [3]);
        await File.WriteAllTextAsync(_folder.File(name), content.Replace("{blob}", blob, StringComparison.Ordinal));

        var source = Sources().Create("manifest:" + _folder.File(name));
        var keys = await KeysAsync(source);
        var store = Stores().Create(source.Location);

        Assert.Equal("manifest:" + _folder.File(name), source.Location);
        Assert.Equal(["imgs/a.jpg", "./imgs/sub/b.png", blob], keys);
        Assert.Equal([1], await store.ReadAsync(keys[0], None));
        Assert.Equal([2], await store.ReadAsync(keys[1], None));
        Assert.Equal([3], await store.ReadAsync(keys[2], None));
    }

    [Fact]
    public async Task A_manifest_file_given_as_a_plain_path_is_a_manifest()
    {
        await File.WriteAllTextAsync(_folder.File("list.txt"), "imgs/a.jpg\n");

        var source = Sources().Create(_folder.File("list.txt"));

        Assert.Equal("manifest:" + _folder.File("list.txt"), source.Location);
        Assert.Equal(["imgs/a.jpg"], await KeysAsync(source));
    }

    [Fact]
    public async Task An_absolute_path_inside_the_manifest_folder_is_read()
    {
        Assert.Equal([2], await Store().ReadAsync(_folder.File("imgs/sub/b.png"), None));
        Assert.Equal([2], await Store().ReadAsync(new Uri(_folder.File("imgs/sub/b.png")).AbsoluteUri, None));
    }

    [Fact]
    public async Task References_that_leave_the_manifest_folder_are_refused_naming_the_option()
    {
        File.CreateSymbolicLink(_folder.File("imgs/link.jpg"), _outside.File("secret.jpg"));
        var relativeEscape = Path.Combine("..", Path.GetFileName(_outside.Path), "secret.jpg");

        foreach (var key in new[] { _outside.File("secret.jpg"), relativeEscape, "imgs/../../x.jpg", new Uri(_outside.File("secret.jpg")).AbsoluteUri })
        {
            var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync(key, None));
            Assert.Contains($"manifest references a file outside its folder {_folder.Path}: {key}", error.Message, StringComparison.Ordinal);
            Assert.Contains("ImageStores:AllowManifestPathsOutsideFolder=true", error.Message, StringComparison.Ordinal);
        }

        var link = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("imgs/link.jpg", None));
        Assert.Contains("symbolic link leads outside the image folder", link.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_option_lets_a_manifest_name_files_anywhere()
    {
        var store = Store(allowOutside: true);

        Assert.Equal([6, 6, 6], await store.ReadAsync(_outside.File("secret.jpg"), None));
        Assert.Equal([6, 6, 6], await store.ReadAsync(Path.Combine("..", Path.GetFileName(_outside.Path), "secret.jpg"), None));
        Assert.Equal([1], await store.ReadAsync("imgs/a.jpg", None));
    }

    [Theory]
    [InlineData("https://example.com/a.jpg", "unsupported reference in a manifest: https://example.com/a.jpg")]
    [InlineData("s3://bucket/a.jpg", "unsupported reference in a manifest: s3://bucket/a.jpg")]
    [InlineData("az://Bad_Container/a.jpg", "not a blob container name")]
    [InlineData("az://photos/../secrets/a.jpg", "has an empty, '.' or '..' segment")]
    [InlineData("imgs/missing.jpg", "file not found: imgs/missing.jpg")]
    [InlineData("imgs", "imgs")]
    public async Task A_reference_the_store_cannot_read_is_a_fetch_failure_with_the_reason(string key, string reason)
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync(key, None));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_blob_in_a_manifest_is_a_fetch_failure_naming_it()
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync($"az://{_container.Name}/nope/x.jpg", None));

        Assert.Equal($"blob not found: {_container.Name}/nope/x.jpg", error.Message);
    }

    [Fact]
    public async Task A_malformed_manifest_stops_the_listing_naming_file_and_line()
    {
        await File.WriteAllTextAsync(_folder.File("list.jsonl"), "{\"key\":\"imgs/a.jpg\"}\n{oops\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => KeysAsync(Sources().Create("manifest:" + _folder.File("list.jsonl"))));

        Assert.StartsWith($"manifest {_folder.File("list.jsonl")}, line 2: not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_manifest_is_refused_naming_it()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Sources().Create("manifest:" + _folder.File("nope.csv")));

        Assert.Equal($"manifest not found: {_folder.File("nope.csv")}", error.Message);
    }

    [Fact]
    public async Task A_worker_needs_only_the_manifest_folder_not_the_manifest()
    {
        var store = Stores().Create("manifest:" + _folder.File("never-written.csv"));

        Assert.Equal([1], await store.ReadAsync("imgs/a.jpg", None));
    }

    private ManifestImageStore Store(bool allowOutside = false)
    {
        var options = Azurite.FastRetries();
        options.AllowManifestPathsOutsideFolder = allowOutside;
        return new ManifestImageStore(_folder.File("list.txt"), Azurite.Account(options), options);
    }

    private static ImageStoreFactory Stores()
    {
        var options = Azurite.FastRetries();
        return new ImageStoreFactory(Azurite.Account(options), Options.Create(options));
    }

    private static ImageSourceFactory Sources()
    {
        var options = Azurite.FastRetries();
        return new ImageSourceFactory(Azurite.Account(options), Options.Create(options));
    }

    private static async Task<List<string>> KeysAsync(IImageSource source)
    {
        var keys = new List<string>();
        await foreach (var key in source.EnumerateKeysAsync(None))
        {
            keys.Add(key);
        }

        return keys;
    }
}

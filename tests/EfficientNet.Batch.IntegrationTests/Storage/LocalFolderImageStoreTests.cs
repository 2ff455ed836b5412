using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public sealed class LocalFolderImageStoreTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDirectory _outside = new("enb-outside");
    private readonly TempDirectory _folder = new("enb-images");

    public LocalFolderImageStoreTests()
    {
        Directory.CreateDirectory(_folder.File("cats"));
        File.WriteAllBytes(_folder.File("cats/tabby one.jpg"), [1, 2, 3]);
        File.WriteAllBytes(_outside.File("secret.jpg"), [6, 6, 6]);
    }

    public void Dispose()
    {
        _folder.Dispose();
        _outside.Dispose();
    }

    private LocalFolderImageStore Store(long maxBytes = 1024) => new(_folder.Path, maxBytes);

    [Fact]
    public async Task A_key_reads_the_file_under_the_folder()
    {
        Assert.Equal([1, 2, 3], await Store().ReadAsync("cats/tabby one.jpg", None));
    }

    [Theory]
    [InlineData("../x.jpg", "escapes the image folder")]
    [InlineData("cats/../../x.jpg", "escapes the image folder")]
    [InlineData("/etc/passwd", "absolute paths")]
    [InlineData("cats//tabby one.jpg", "not a normalized")]
    [InlineData("./cats/tabby one.jpg", "not a normalized")]
    [InlineData("", "empty image key")]
    public async Task Keys_that_could_leave_the_folder_are_refused(string key, string reason)
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync(key, None));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symbolic_link_to_a_file_outside_the_folder_is_refused()
    {
        File.CreateSymbolicLink(_folder.File("cats/escape.jpg"), _outside.File("secret.jpg"));

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("cats/escape.jpg", None));

        Assert.Contains("symbolic link leads outside the image folder: cats/escape.jpg", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symbolic_link_to_a_folder_outside_is_refused_for_every_file_below_it()
    {
        Directory.CreateSymbolicLink(_folder.File("elsewhere"), _outside.Path);

        await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("elsewhere/secret.jpg", None));
    }

    [Fact]
    public async Task A_relative_symbolic_link_that_climbs_out_is_refused()
    {
        File.CreateSymbolicLink(_folder.File("cats/up.jpg"), Path.Combine("..", "..", Path.GetFileName(_outside.Path), "secret.jpg"));

        await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("cats/up.jpg", None));
    }

    [Fact]
    public async Task A_symbolic_link_that_stays_inside_the_folder_is_read()
    {
        File.CreateSymbolicLink(_folder.File("alias.jpg"), Path.Combine("cats", "tabby one.jpg"));

        Assert.Equal([1, 2, 3], await Store().ReadAsync("alias.jpg", None));
    }

    [Fact]
    public async Task A_store_rooted_at_a_symbolic_link_reads_its_files()
    {
        var link = _outside.File("link-to-images");
        Directory.CreateSymbolicLink(link, _folder.Path);

        Assert.Equal([1, 2, 3], await new LocalFolderImageStore(link, 1024).ReadAsync("cats/tabby one.jpg", None));
    }

    [Fact]
    public async Task A_missing_file_is_a_fetch_failure_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("cats/missing.jpg", None));

        Assert.Equal("file not found: cats/missing.jpg", error.Message);
    }

    [Fact]
    public async Task A_file_in_a_missing_folder_is_a_fetch_failure_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("dogs/rex.jpg", None));

        Assert.Equal("file not found: dogs/rex.jpg", error.Message);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_with_both_sizes()
    {
        File.WriteAllBytes(_folder.File("big.jpg"), new byte[2048]);

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store(maxBytes: 2047).ReadAsync("big.jpg", None));

        Assert.Equal("file is 2,048 bytes, over the limit of 2,047 bytes: big.jpg", error.Message);
        Assert.Equal(2048, (await Store(maxBytes: 2048).ReadAsync("big.jpg", None)).Length);
    }

    [Fact]
    public async Task An_empty_file_is_a_fetch_failure()
    {
        File.WriteAllBytes(_folder.File("empty.jpg"), []);

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("empty.jpg", None));

        Assert.Equal("file is empty: empty.jpg", error.Message);
    }

    [Fact]
    public async Task A_folder_key_is_a_fetch_failure()
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Store().ReadAsync("cats", None));

        Assert.Contains("cats", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_root_folder_is_refused_naming_it()
    {
        var missing = _folder.File("nope");

        var error = Assert.Throws<DirectoryNotFoundException>(() => new LocalFolderImageStore(missing, 1024));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://account.blob.core.windows.net/c", "http(s) URLs are not image locations")]
    [InlineData("s3://bucket/prefix", "unknown image location scheme 's3://'")]
    public void The_factory_refuses_locations_it_cannot_read(string location, string reason)
    {
        var error = Assert.Throws<NotSupportedException>(() => Factory().Create(location));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_factory_reads_a_local_folder_given_as_a_path_or_file_uri()
    {
        Assert.Equal([1, 2, 3], await Factory().Create(_folder.Path).ReadAsync("cats/tabby one.jpg", None));
        Assert.Equal([1, 2, 3], await Factory().Create(new Uri(_folder.Path).AbsoluteUri).ReadAsync("cats/tabby one.jpg", None));
    }

    [Fact]
    public async Task The_factory_applies_the_size_limit_it_was_given()
    {
        File.WriteAllBytes(_folder.File("big.jpg"), new byte[2048]);

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Factory(maxBytes: 1024).Create(_folder.Path).ReadAsync("big.jpg", None));

        Assert.Equal("file is 2,048 bytes, over the limit of 1,024 bytes: big.jpg", error.Message);
    }

    private static ImageStoreFactory Factory(long maxBytes = 1024)
    {
        var options = new ImageStoreOptions { MaxImageBytes = maxBytes };
        return new ImageStoreFactory(new BlobAccount(null, options), Options.Create(options));
    }
}

using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

public sealed class BlobImageStoreTests(BlobContainerFixture container) : IClassFixture<BlobContainerFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Every_key_the_source_lists_is_read_by_the_store_of_the_same_location()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        var photos = Directory.GetFiles(TestPaths.SamplePhotos).Where(p => ImageFileExtensions.IsImage(p)).Order(StringComparer.Ordinal).ToArray();
        foreach (var photo in photos)
        {
            await container.UploadFileAsync($"{prefix}/photos/{Path.GetFileName(photo)}", photo);
        }

        await container.UploadFileAsync($"{prefix}/photos/nested/deeper/{Path.GetFileName(photos[0])}", photos[0]);
        var location = $"az://{container.Name}/{prefix}/photos";

        var source = Sources().Create(location);
        var store = Stores().Create(source.Location);
        var read = new List<string>();
        await foreach (var key in source.EnumerateKeysAsync(None))
        {
            var local = key.StartsWith("nested/", StringComparison.Ordinal) ? photos[0] : Path.Combine(TestPaths.SamplePhotos, key);
            Assert.Equal(await File.ReadAllBytesAsync(local), await store.ReadAsync(key, None));
            read.Add(key);
        }

        Assert.Equal(photos.Length + 1, read.Count);
        Assert.Contains($"nested/deeper/{Path.GetFileName(photos[0])}", read);
    }

    [Fact]
    public async Task A_missing_blob_is_a_fetch_failure_naming_container_and_blob()
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Stores().Create($"az://{container.Name}/cats").ReadAsync("missing.jpg", None));

        Assert.Equal($"blob not found: {container.Name}/cats/missing.jpg", error.Message);
    }

    [Fact]
    public async Task A_blob_in_a_missing_container_is_a_fetch_failure_saying_so()
    {
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Stores().Create("az://enb-no-such-container").ReadAsync("a.jpg", None));

        Assert.Equal("blob not found: enb-no-such-container/a.jpg (container 'enb-no-such-container' does not exist)", error.Message);
    }

    [Fact]
    public async Task A_blob_over_the_size_limit_is_refused_from_its_length_with_both_sizes()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await container.UploadAsync($"{prefix}/big.jpg", new byte[2048]);

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Stores(maxBytes: 2047).Create($"az://{container.Name}/{prefix}").ReadAsync("big.jpg", None));

        Assert.Equal($"blob is 2,048 bytes, over the limit of 2,047 bytes: {container.Name}/{prefix}/big.jpg", error.Message);
        Assert.Equal(2048, (await Stores(maxBytes: 2048).Create($"az://{container.Name}/{prefix}").ReadAsync("big.jpg", None)).Length);
    }

    [Fact]
    public async Task An_empty_blob_is_a_fetch_failure()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await container.UploadAsync($"{prefix}/empty.jpg", []);

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Stores().Create($"az://{container.Name}/{prefix}").ReadAsync("empty.jpg", None));

        Assert.Equal($"blob is empty: {container.Name}/{prefix}/empty.jpg", error.Message);
    }

    [Theory]
    [InlineData("../outside.jpg", "would leave the prefix")]
    [InlineData("a/../../outside.jpg", "would leave the prefix")]
    [InlineData("/outside.jpg", "leading or trailing '/'")]
    [InlineData("", "empty image key")]
    public async Task Keys_that_could_leave_the_prefix_are_refused_before_any_request(string key, string reason)
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await container.UploadAsync("outside.jpg", [1, 2, 3]);

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => Stores().Create($"az://{container.Name}/{prefix}/inner").ReadAsync(key, None));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_account_key_fails_the_shard_not_the_image_and_never_shows_the_key()
    {
        var wrongKey = Convert.ToBase64String(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        var setting = Azurite.ConnectionString.Replace(Azurite.AccountKey, wrongKey, StringComparison.Ordinal);
        var options = Azurite.FastRetries();
        var store = new ImageStoreFactory(new BlobAccount(setting, options), Options.Create(options)).Create($"az://{container.Name}");

        var error = await Assert.ThrowsAsync<BlobStorageException>(() => store.ReadAsync("a.jpg", None));

        Assert.StartsWith($"access denied reading {container.Name}/a.jpg (HTTP 403 AuthorizationFailure", error.Message, StringComparison.Ordinal);
        Assert.Contains("check ConnectionStrings:Blob", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Azurite.AccountKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_storage_fails_the_shard_after_the_retries_without_showing_the_key()
    {
        var setting = System.Text.RegularExpressions.Regex.Replace(Azurite.ConnectionString, @"127\.0\.0\.1:\d+", "127.0.0.1:9");
        Assert.Contains("127.0.0.1:9/", setting, StringComparison.Ordinal);
        var options = Azurite.FastRetries();
        var store = new ImageStoreFactory(new BlobAccount(setting, options), Options.Create(options)).Create($"az://{container.Name}");

        var error = await Assert.ThrowsAsync<BlobStorageException>(() => store.ReadAsync("a.jpg", None));

        Assert.StartsWith($"cannot read {container.Name}/a.jpg: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Azurite.AccountKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sas_url_setting_reads_blobs_and_its_signature_stays_out_of_messages()
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await container.UploadAsync($"{prefix}/a.jpg", [4, 5, 6]);
        var sas = Azurite.Account().Client.GenerateAccountSasUri(
            Azure.Storage.Sas.AccountSasPermissions.Read | Azure.Storage.Sas.AccountSasPermissions.List,
            DateTimeOffset.UtcNow.AddHours(1),
            Azure.Storage.Sas.AccountSasResourceTypes.All);
        var signature = System.Web.HttpUtility.ParseQueryString(sas.Query)["sig"]!;
        Assert.Equal(BlobCredentialKind.SasUrl, BlobAccount.CredentialKind(sas.AbsoluteUri));
        var options = Azurite.FastRetries();
        var store = new ImageStoreFactory(new BlobAccount(sas.AbsoluteUri, options), Options.Create(options)).Create($"az://{container.Name}/{prefix}");

        Assert.Equal([4, 5, 6], await store.ReadAsync("a.jpg", None));
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => store.ReadAsync("missing.jpg", None));
        Assert.DoesNotContain(signature, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_az_location_without_a_connection_string_fails_naming_the_setting()
    {
        var options = new ImageStoreOptions();
        var factory = new ImageStoreFactory(new BlobAccount(null, options), Options.Create(options));

        var error = Assert.Throws<InvalidOperationException>(() => factory.Create("az://photos/cats"));

        Assert.Contains("ConnectionStrings:Blob", error.Message, StringComparison.Ordinal);
    }

    private static ImageStoreFactory Stores(long maxBytes = 64 * 1024 * 1024)
    {
        var options = Azurite.FastRetries();
        options.MaxImageBytes = maxBytes;
        return new ImageStoreFactory(Azurite.Account(options), Options.Create(options));
    }

    private static ImageSourceFactory Sources()
    {
        var options = Azurite.FastRetries();
        return new ImageSourceFactory(Azurite.Account(options), Options.Create(options));
    }
}

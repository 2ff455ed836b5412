using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Storage.Sources;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

/// <summary>Models by az:// URI: downloaded once with their spec and labels, verified by SHA-256, cached per hash.</summary>
public sealed class ModelFileCacheTests : IClassFixture<BlobContainerFixture>, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly string ModelFolder = Path.GetDirectoryName(TestPaths.TestModel)!;
    private readonly BlobContainerFixture _container;
    private readonly TempDirectory _cacheRoot = new("enb-model-cache");

    public ModelFileCacheTests(BlobContainerFixture container) => _container = container;

    public void Dispose() => _cacheRoot.Dispose();

    private static string Sha256 { get; } = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(TestPaths.TestModel)));

    [Fact]
    public async Task A_blob_model_is_downloaded_with_its_spec_and_labels_into_a_folder_named_by_its_hash()
    {
        var uri = await UploadModelAsync();

        var path = await Cache().GetAsync(uri, Sha256.ToUpperInvariant(), None);

        Assert.Equal(Path.Combine(_cacheRoot.Path, Sha256, "model.onnx"), path);
        Assert.Equal(await File.ReadAllBytesAsync(TestPaths.TestModel), await File.ReadAllBytesAsync(path));
        var spec = ModelSpecFile.Load(ModelSpecFile.SpecPathFor(path));
        Assert.Equal(1000, ModelSpecFile.LoadLabels(spec, ModelSpecFile.SpecPathFor(path))!.Count);
        Assert.Equal([Sha256], Directory.GetDirectories(_cacheRoot.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_cached_model_is_used_without_downloading_again()
    {
        var uri = await UploadModelAsync();
        var first = await Cache().GetAsync(uri, Sha256, None);
        await _container.Client.GetBlobClient(BlobLocation.ParseBlobUri(uri).BlobName).DeleteAsync();

        Assert.Equal(first, await Cache().GetAsync(uri, Sha256, None));
    }

    [Fact]
    public async Task A_hash_mismatch_is_refused_and_nothing_is_cached()
    {
        var uri = await UploadModelAsync();
        var expected = new string('0', 64);

        var error = await Assert.ThrowsAsync<ModelSpecException>(() => Cache().GetAsync(uri, expected, None));

        Assert.Equal($"model {uri} has SHA-256 {Sha256} but the run expects {expected}", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_cacheRoot.Path));
    }

    [Fact]
    public async Task A_cached_file_that_no_longer_matches_its_hash_is_downloaded_again()
    {
        var uri = await UploadModelAsync();
        var path = await Cache().GetAsync(uri, Sha256, None);
        await File.WriteAllBytesAsync(path, [1, 2, 3]);

        Assert.Equal(path, await Cache().GetAsync(uri, Sha256, None));
        Assert.Equal(await File.ReadAllBytesAsync(TestPaths.TestModel), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Without_an_expected_hash_the_model_is_cached_under_the_hash_of_what_was_downloaded()
    {
        var uri = await UploadModelAsync();

        var path = await Cache().GetAsync(uri, null, None);

        Assert.Equal(Path.Combine(_cacheRoot.Path, Sha256, "model.onnx"), path);
        Assert.Equal(Sha256, await ModelFiles.Sha256Async(path, None));
    }

    [Fact]
    public async Task Concurrent_first_loads_leave_one_complete_copy()
    {
        var uri = await UploadModelAsync();

        var paths = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Cache().GetAsync(uri, Sha256, None))));

        Assert.Single(paths.Distinct());
        Assert.Equal([Sha256], Directory.GetFileSystemEntries(_cacheRoot.Path).Select(Path.GetFileName));
        Assert.Equal(Sha256, await ModelFiles.Sha256Async(paths[0], None));
    }

    [Theory]
    [InlineData("model", "model not found: az://{container}/{prefix}/nope.onnx", "nope.onnx")]
    [InlineData("spec", "model spec (every model.onnx needs a model.json beside it) not found: az://{container}/{prefix}/efficientnet_tiny.json", "efficientnet_tiny.onnx")]
    [InlineData("labels", "labels file named by az://{container}/{prefix}/efficientnet_tiny.json not found: az://{container}/{prefix}/imagenet_labels.txt", "efficientnet_tiny.onnx")]
    public async Task A_missing_model_spec_or_labels_blob_is_named(string missing, string message, string model)
    {
        var prefix = BlobContainerFixture.NewPrefix();
        await UploadModelAsync(prefix, skip: missing == "model" ? null : missing);

        var error = await Assert.ThrowsAsync<ModelSpecException>(() => Cache().GetAsync($"az://{_container.Name}/{prefix}/{model}", null, None));

        Assert.Equal(message.Replace("{container}", _container.Name, StringComparison.Ordinal).Replace("{prefix}", prefix, StringComparison.Ordinal), error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_cacheRoot.Path));
    }

    [Fact]
    public async Task A_local_model_is_used_in_place_and_still_verified()
    {
        Assert.Equal(TestPaths.TestModel, await Cache().GetAsync(TestPaths.TestModel, Sha256, None));
        Assert.Equal(TestPaths.TestModel, await Cache().GetAsync(new Uri(TestPaths.TestModel).AbsoluteUri, Sha256, None));
        var error = await Assert.ThrowsAsync<ModelSpecException>(() => Cache().GetAsync(TestPaths.TestModel, new string('f', 64), None));
        Assert.Contains("but the run expects ffff", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_cacheRoot.Path));
    }

    [Fact]
    public async Task Storage_that_refuses_access_is_worth_retrying_and_its_key_is_never_shown()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var options = Azurite.FastRetries();
        var account = new BlobAccount(Azurite.ConnectionString.Replace(Azurite.AccountKey, wrongKey, StringComparison.Ordinal), options);
        var cache = new ModelFileCache(account, Options.Create(new ModelCacheOptions { ModelCacheDirectory = _cacheRoot.Path }), NullLogger<ModelFileCache>.Instance);

        var error = await Assert.ThrowsAsync<BlobStorageException>(() => cache.GetAsync($"az://{_container.Name}/m/model.onnx", Sha256, None));

        Assert.StartsWith($"cannot download az://{_container.Name}/m/model.onnx: HTTP 403 AuthorizationFailure", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_repository_loads_a_blob_model_once_for_concurrent_shards()
    {
        var uri = await UploadModelAsync();
        await using var repository = Repository(Cache());
        var reference = new ModelReference(1, uri, Sha256);

        var models = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => repository.GetAsync(reference, None)));

        Assert.Single(models.Distinct());
        Assert.Equal(1000, models[0].Session.NumClasses);
    }

    [Fact]
    public async Task The_repository_tries_again_after_a_load_failed_for_a_reason_worth_retrying()
    {
        var uri = await UploadModelAsync();
        var blocked = _cacheRoot.File("blocked");
        await File.WriteAllTextAsync(blocked, "a file where the cache folder should be");
        var cache = new ModelFileCache(Azurite.Account(), Options.Create(new ModelCacheOptions { ModelCacheDirectory = blocked }), NullLogger<ModelFileCache>.Instance);
        await using var repository = Repository(cache);
        var reference = new ModelReference(1, uri, Sha256);

        await Assert.ThrowsAnyAsync<IOException>(() => repository.GetAsync(reference, None));
        File.Delete(blocked);

        Assert.Equal(1000, (await repository.GetAsync(reference, None)).Session.NumClasses);
    }

    private static ModelRepository Repository(ModelFileCache cache) => new(
        cache,
        Options.Create(new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 }),
        Options.Create(new PreprocessingOptions()),
        NullLoggerFactory.Instance);

    private ModelFileCache Cache() => new(
        Azurite.Account(),
        Options.Create(new ModelCacheOptions { ModelCacheDirectory = _cacheRoot.Path }),
        NullLogger<ModelFileCache>.Instance);

    private async Task<string> UploadModelAsync(string? prefix = null, string? skip = null)
    {
        prefix ??= BlobContainerFixture.NewPrefix();
        if (skip != "model")
        {
            await _container.UploadFileAsync($"{prefix}/efficientnet_tiny.onnx", TestPaths.TestModel);
        }

        if (skip != "spec")
        {
            await _container.UploadFileAsync($"{prefix}/efficientnet_tiny.json", Path.Combine(ModelFolder, "efficientnet_tiny.json"));
        }

        if (skip != "labels")
        {
            await _container.UploadFileAsync($"{prefix}/imagenet_labels.txt", Path.Combine(ModelFolder, "imagenet_labels.txt"));
        }

        return $"az://{_container.Name}/{prefix}/efficientnet_tiny.onnx";
    }
}

using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Storage.Models;

/// <summary>
/// Turns a model URI into a verified file on this machine. Local paths and file:// URIs are used in place.
/// <c>az://container/path/model.onnx</c> is downloaded once, with <c>model.json</c> beside it and the labels file
/// its spec names, into <c>&lt;ModelCacheDirectory&gt;/&lt;sha256&gt;/</c>: into a private staging folder first,
/// then its SHA-256 is checked and the folder renamed into place (atomic), so a cache folder is always complete
/// and verified, and worker processes sharing the cache never see each other's partial files. A cached model is
/// hashed again on every load (once per process per model; about 1 s per 250 MB), and downloaded again when
/// the hash no longer matches. The SHA-256 covers the .onnx only: its spec and labels are those beside it at the
/// first download.
/// </summary>
public sealed partial class ModelFileCache(BlobAccount blobs, IOptions<ModelCacheOptions> options, ILogger<ModelFileCache> logger)
{
    private const string ModelFileName = "model.onnx";

    /// <summary>
    /// The path of the model's local file (its spec and labels beside it), checked against
    /// <paramref name="expectedSha256"/>; with null (planning a run without --sha256) whatever the URI holds now.
    /// </summary>
    /// <exception cref="ModelSpecException">Not found, a hash mismatch, or a missing or invalid spec: fails the same way every time.</exception>
    /// <exception cref="BlobStorageException">Storage unreachable or refusing access: worth retrying.</exception>
    public async Task<string> GetAsync(string uri, string? expectedSha256, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (expectedSha256 is not null && !Sha256Pattern().IsMatch(expectedSha256))
        {
            throw new ModelSpecException($"'{expectedSha256}' is not a SHA-256 (64 hex digits) for model {uri}");
        }

        var expected = expectedSha256?.ToLowerInvariant();
        if (!ModelFiles.IsBlobUri(uri))
        {
            var path = ModelFiles.ResolveLocalPath(uri);
            if (expected is null)
            {
                return File.Exists(path) ? path : throw new ModelSpecException($"model file not found: {path}");
            }

            await ModelFiles.VerifyAsync(path, expected, cancellationToken);
            return path;
        }

        if (expected is not null && await CachedAsync(expected, cancellationToken) is { } cached)
        {
            return cached;
        }

        return await DownloadAsync(uri, expected, cancellationToken);
    }

    private string Root => Path.GetFullPath(options.Value.ModelCacheDirectory);

    private async Task<string?> CachedAsync(string sha256, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Root, sha256);
        var path = Path.Combine(folder, ModelFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        if (await ModelFiles.Sha256Async(path, cancellationToken) == sha256)
        {
            return path;
        }

        logger.LogWarning("Cached model {Path} no longer has SHA-256 {Sha256}; downloading it again", path, sha256);
        var discarded = Path.Combine(Root, $".discarded-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(folder, discarded);
            Directory.Delete(discarded, recursive: true);
        }
        catch (IOException)
        {
            // Another process replaced it first; the download below settles it.
        }

        return null;
    }

    private async Task<string> DownloadAsync(string uri, string? expected, CancellationToken cancellationToken)
    {
        string container, blobName;
        try
        {
            (container, blobName) = BlobLocation.ParseBlobUri(uri);
        }
        catch (FormatException e)
        {
            throw new ModelSpecException($"model URI {uri} is malformed: {e.Message}");
        }

        var blobFolder = blobName.Contains('/', StringComparison.Ordinal) ? blobName[..blobName.LastIndexOf('/')] + "/" : "";
        var specName = blobName.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? blobName[..^5] + ".json" : blobName + ".json";
        var account = blobs.Container(container);
        var staging = Directory.CreateDirectory(Path.Combine(Root, $".download-{Guid.NewGuid():N}")).FullName;
        try
        {
            logger.LogInformation("Downloading model {Uri} into {Cache}", uri, Root);
            var modelPath = Path.Combine(staging, ModelFileName);
            await DownloadFileAsync(account.GetBlobClient(blobName), modelPath, "model", cancellationToken);
            var actual = await ModelFiles.Sha256Async(modelPath, cancellationToken);
            if (expected is not null && actual != expected)
            {
                throw new ModelSpecException($"model {uri} has SHA-256 {actual} but the run expects {expected}");
            }

            var specPath = ModelSpecFile.SpecPathFor(modelPath);
            await DownloadFileAsync(account.GetBlobClient(specName), specPath, "model spec (every model.onnx needs a model.json beside it)", cancellationToken);
            var spec = ModelSpecFile.Load(specPath);
            if (spec.Labels is { } labels)
            {
                if (BlobLocation.KeyProblem(labels) is not null || labels.Contains('\\', StringComparison.Ordinal))
                {
                    throw new ModelSpecException($"labels file '{labels}' named by az://{container}/{specName} must be a path beside the spec, without '..'");
                }

                var labelsPath = Path.Combine(staging, labels);
                Directory.CreateDirectory(Path.GetDirectoryName(labelsPath)!);
                await DownloadFileAsync(account.GetBlobClient(blobFolder + labels), labelsPath, $"labels file named by az://{container}/{specName}", cancellationToken);
            }

            var folder = Path.Combine(Root, actual);
            try
            {
                Directory.Move(staging, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another process (or shard) finished the same model first: use its copy, after the usual check.
                return await CachedAsync(actual, cancellationToken)
                    ?? throw new BlobStorageException($"the model cache {folder} changed while model {uri} was being stored; retry");
            }

            return Path.Combine(folder, ModelFileName);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                try
                {
                    Directory.Delete(staging, recursive: true);
                }
                catch (IOException e)
                {
                    logger.LogWarning("Could not delete the staging folder {Folder}: {Reason}", staging, e.Message);
                }
            }
        }
    }

    private static async Task DownloadFileAsync(BlobClient blob, string path, string what, CancellationToken cancellationToken)
    {
        var shown = $"{BlobLocation.UriPrefix}{blob.BlobContainerName}/{blob.Name}";
        try
        {
            await blob.DownloadToAsync(path, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ModelSpecException($"{what} not found: {shown}");
        }
        catch (Exception e) when (BlobErrors.IsRequestFailure(e))
        {
            throw new BlobStorageException($"cannot download {shown}: {BlobErrors.Describe(e)}");
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();
}

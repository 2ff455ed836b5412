using System.Security.Cryptography;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Storage.Models;

/// <summary>Model URIs and SHA-256 checks of model files.</summary>
public static class ModelFiles
{
    /// <summary>The lowercase hex SHA-256 of a file's bytes.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1024 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Whether a model URI names a blob (<c>az://container/path/model.onnx</c>), which workers download (see <see cref="ModelFileCache"/>).</summary>
    public static bool IsBlobUri(string uri) => uri.StartsWith(BlobLocation.UriPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The local path of a model URI that is a local file path or file:// URI.</summary>
    public static string ResolveLocalPath(string uri)
    {
        if (Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && !parsed.IsFile)
        {
            throw new ModelSpecException(
                $"model URI scheme '{parsed.Scheme}' is not supported: give a local path, a file:// URI or az://<container>/<path>/model.onnx");
        }

        return parsed is { IsFile: true } ? parsed.LocalPath : Path.GetFullPath(uri);
    }

    /// <summary>Throws when the file's bytes are not the ones the run was planned with.</summary>
    public static async Task VerifyAsync(string path, string expectedSha256, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new ModelSpecException($"model file not found: {path}");
        }

        var actual = await Sha256Async(path, cancellationToken);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelSpecException(
                $"model file {path} has SHA-256 {actual}, but the run expects {expectedSha256}: the file changed after the run was planned");
        }
    }
}

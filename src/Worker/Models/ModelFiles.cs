using System.Security.Cryptography;
using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.Worker.Models;

/// <summary>Resolves a model URI to a local file and checks its SHA-256.</summary>
public static class ModelFiles
{
    /// <summary>The lowercase hex SHA-256 of a file's bytes.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The local path of a model URI. Today: a local file path or file:// URI (embedded mode; workers on one machine).
    /// </summary>
    public static string ResolveLocalPath(string uri)
    {
        if (Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && !parsed.IsFile)
        {
            throw new ModelSpecException($"model URI scheme '{parsed.Scheme}' is not supported here; use a local path");
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

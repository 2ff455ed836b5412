using System.Runtime.CompilerServices;
using System.Text;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>
/// Lists the references of a manifest file, in file order, streamed line by line. Each reference is the image's
/// key, as written (trimmed): a path relative to the manifest's folder, an absolute path, or an az:// URI; the
/// manifest's image store resolves each by its form and refuses those it may not read (as fetch failures).
/// Unlike folder and blob listings, references are not filtered by extension: a manifest says exactly what to label.
/// </summary>
public sealed class ManifestImageSource : IImageSource
{
    private readonly ManifestLocation _manifest;

    public ManifestImageSource(ManifestLocation manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!File.Exists(manifest.ManifestPath))
        {
            throw new FileNotFoundException($"manifest not found: {manifest.ManifestPath}", manifest.ManifestPath);
        }

        _manifest = manifest;
    }

    public string Location => _manifest.ToString();

    public async IAsyncEnumerable<string> EnumerateKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(
            _manifest.ManifestPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        await foreach (var key in ManifestReader.ReadKeysAsync(reader, _manifest.Format, _manifest.ManifestPath, cancellationToken))
        {
            yield return key;
        }
    }
}

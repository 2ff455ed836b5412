using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>Creates the image source of a run from its location (runs.source).</summary>
public interface IImageSourceFactory
{
    /// <summary>
    /// A source for a local folder, <c>az://container/prefix</c>, or <c>manifest:path</c> (see <see cref="ImageLocation"/>).
    /// Its <see cref="IImageSource.Location"/> is the canonical location: give that to the workers (ShardOptions.ImageSource).
    /// </summary>
    /// <exception cref="NotSupportedException">An unknown scheme or an http(s) URL; the message names the location.</exception>
    /// <exception cref="FormatException">A malformed az:// or manifest: location.</exception>
    /// <exception cref="DirectoryNotFoundException">A local folder that does not exist.</exception>
    /// <exception cref="FileNotFoundException">A manifest that does not exist.</exception>
    /// <exception cref="InvalidOperationException">An az:// location without ConnectionStrings:Blob.</exception>
    IImageSource Create(string location);
}

using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Storage.Images;

/// <summary>Creates the image store that resolves a run's keys, from the run's location (ShardOptions.ImageSource).</summary>
public interface IImageStoreFactory
{
    /// <summary>
    /// A store for a local folder, <c>az://container/prefix</c>, or <c>manifest:path</c> (see
    /// <see cref="Sources.ImageLocation"/>). Reads the same keys the source of that location lists.
    /// </summary>
    /// <exception cref="NotSupportedException">An unknown scheme or an http(s) URL; the message names the location.</exception>
    /// <exception cref="FormatException">A malformed az:// or manifest: location.</exception>
    /// <exception cref="DirectoryNotFoundException">A local folder that does not exist.</exception>
    /// <exception cref="InvalidOperationException">An az:// location without ConnectionStrings:Blob.</exception>
    IImageStore Create(string location);
}

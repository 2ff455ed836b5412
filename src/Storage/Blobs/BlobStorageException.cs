namespace EfficientNet.Batch.Storage.Blobs;

/// <summary>
/// Blob storage as a whole could not be used (unreachable after the SDK's retries, access denied, a server error):
/// not one image's fault, so it fails the shard (which is retried) or the listing, never becomes a failures row.
/// The message names the container or blob and the status, never a credential; it carries no inner exception
/// so that nothing unredacted reaches a log or a console.
/// </summary>
public sealed class BlobStorageException(string message) : Exception(message);

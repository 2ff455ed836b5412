namespace EfficientNet.Batch.Storage.Blobs;

/// <summary>How ConnectionStrings:Blob authenticates (see <see cref="BlobAccount"/>).</summary>
public enum BlobCredentialKind
{
    ConnectionString,
    SasUrl,
    TokenCredential,
}

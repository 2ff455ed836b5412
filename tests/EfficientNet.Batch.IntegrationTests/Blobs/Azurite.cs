using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

/// <summary>The Azurite that scripts/services.sh runs: these tests need it, and fail (not skip) when it is not configured.</summary>
public static class Azurite
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Blob") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "ConnectionStrings__Blob is not set, so the blob tests cannot reach Azurite: run `scripts/services.sh up` "
                + "and `eval \"$(scripts/services.sh env)\"` in this shell, then run the tests again (.ci/run does both)");

    /// <summary>The account key of the connection string, to check that no message repeats it.</summary>
    public static string AccountKey =>
        ConnectionString.Split(';').Select(p => p.Trim()).First(p => p.StartsWith("AccountKey=", StringComparison.OrdinalIgnoreCase))["AccountKey=".Length..];

    public static BlobAccount Account(ImageStoreOptions? options = null) => new(ConnectionString, options ?? FastRetries());

    /// <summary>Few, short retries: a test about a failure should not wait through the production back-off.</summary>
    public static ImageStoreOptions FastRetries() => new()
    {
        BlobMaxRetries = 1,
        BlobRetryDelay = TimeSpan.FromMilliseconds(10),
        BlobMaxRetryDelay = TimeSpan.FromMilliseconds(50),
        BlobNetworkTimeout = TimeSpan.FromSeconds(10),
    };
}

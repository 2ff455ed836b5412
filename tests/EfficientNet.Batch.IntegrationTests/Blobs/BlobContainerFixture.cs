using Azure.Storage.Blobs;

namespace EfficientNet.Batch.IntegrationTests.Blobs;

/// <summary>
/// A container of its own for each test class (a fresh name, deleted afterwards), so no test class sees another's
/// blobs. Tests that add blobs put them under a prefix of their own.
/// </summary>
public sealed class BlobContainerFixture : IAsyncLifetime
{
    public BlobContainerFixture() => Name = $"enb-test-{Guid.NewGuid():N}";

    public string Name { get; }

    public BlobContainerClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = Azurite.Account().Container(Name);
        await Client.CreateAsync();
    }

    public async Task DisposeAsync() => await Client.DeleteIfExistsAsync();

    public async Task UploadAsync(string name, byte[] content) =>
        await Client.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(content), overwrite: true);

    public async Task UploadFileAsync(string name, string path) =>
        await Client.GetBlobClient(name).UploadAsync(path, overwrite: true);

    /// <summary>A prefix no other test of the class uses.</summary>
    public static string NewPrefix() => $"t{Guid.NewGuid():N}";
}

using EfficientNet.Batch.Hosting;

namespace EfficientNet.Batch.UnitTests.Hosting;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("Host=db;Username=enb;Password=hunter2;Database=x", "Host=db;Username=enb;Password=***;Database=x")]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=a;AccountKey=Eby8vdM02x==;BlobEndpoint=http://127.0.0.1:10000/a", "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=***;BlobEndpoint=http://127.0.0.1:10000/a")]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:***@127.0.0.1:5672/")]
    [InlineData("https://a.blob.core.windows.net/c/x.jpg?sv=2024&sig=abc%2Fdef&se=2026", "https://a.blob.core.windows.net/c/x.jpg?sv=2024&sig=***&se=2026")]
    public void Credentials_are_masked(string input, string expected) =>
        Assert.Equal(expected, SecretRedactor.Redact(input));

    [Fact]
    public void Text_without_credentials_is_unchanged() =>
        Assert.Equal("shard 3 of run r committed", SecretRedactor.Redact("shard 3 of run r committed"));
}

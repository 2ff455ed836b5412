using Azure.Core;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class BlobAccountTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Theory]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Key + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", BlobCredentialKind.ConnectionString)]
    [InlineData("UseDevelopmentStorage=true", BlobCredentialKind.ConnectionString)]
    [InlineData("BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2024&sig=abc", BlobCredentialKind.ConnectionString)]
    [InlineData("https://a.blob.core.windows.net/?sv=2024-11-04&ss=b&sig=abc%3D", BlobCredentialKind.SasUrl)]
    [InlineData("https://a.blob.core.windows.net/", BlobCredentialKind.TokenCredential)]
    [InlineData("  https://a.blob.core.windows.net  ", BlobCredentialKind.TokenCredential)]
    public void The_setting_form_decides_how_to_authenticate(string setting, BlobCredentialKind kind)
    {
        Assert.Equal(kind, BlobAccount.CredentialKind(setting));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Without_a_setting_using_blobs_fails_naming_the_configuration_key(string? setting)
    {
        var account = new BlobAccount(setting, new ImageStoreOptions());

        Assert.False(account.IsConfigured);
        var error = Assert.Throws<InvalidOperationException>(() => account.Client);
        Assert.Contains("ConnectionStrings:Blob (environment variable ConnectionStrings__Blob)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_connection_string_is_refused_without_repeating_it()
    {
        var account = new BlobAccount("AccountName=acct;AccountKey=" + Key + ";Nonsense", new ImageStoreOptions());

        var error = Assert.Throws<InvalidOperationException>(() => account.Client);

        Assert.Contains("ConnectionStrings:Blob is not a valid Azure Storage connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("acct", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_container_url_is_refused_without_its_sas_token()
    {
        var account = new BlobAccount("https://acct.blob.core.windows.net/photos?sv=2024&sig=SECRETSIG", new ImageStoreOptions());

        var error = Assert.Throws<InvalidOperationException>(() => account.Client);

        Assert.Contains("must be the account URL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETSIG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clients_pin_a_service_version_azurite_accepts_and_retry_exponentially_as_configured()
    {
        var options = BlobAccount.ClientOptions(new ImageStoreOptions { BlobMaxRetries = 7, BlobNetworkTimeout = TimeSpan.FromSeconds(9) });

        Assert.Equal(Azure.Storage.Blobs.BlobClientOptions.ServiceVersion.V2026_06_06, options.Version);
        Assert.Equal(RetryMode.Exponential, options.Retry.Mode);
        Assert.Equal(7, options.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(9), options.Retry.NetworkTimeout);
    }
}

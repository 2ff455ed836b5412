using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Storage.Blobs;

/// <summary>
/// The storage account of az:// locations and models, from <c>ConnectionStrings:Blob</c>, in one of three forms:
/// <list type="bullet">
/// <item>an Azure Storage connection string (account key, SAS, or <c>UseDevelopmentStorage=true</c>);</item>
/// <item>an account URL with a SAS token (<c>https://acct.blob.core.windows.net/?sv=...&amp;sig=...</c>);</item>
/// <item>an account URL alone: Microsoft Entra ID through DefaultAzureCredential (workload or managed identity,
/// environment variables, Azure CLI; AZURE_TOKEN_CREDENTIALS narrows the chain).</item>
/// </list>
/// The client is created on first use, so processes that never touch az:// need no setting. The setting is never
/// logged or put in a message.
/// </summary>
public sealed class BlobAccount
{
    /// <summary>The connection name: configuration key <c>ConnectionStrings:Blob</c>, environment variable <c>ConnectionStrings__Blob</c>.</summary>
    public const string ConnectionName = "Blob";

    public const string ConfigurationKey = "ConnectionStrings:" + ConnectionName;

    /// <summary>
    /// Azure.Storage.Blobs 12.30.1 sends 2026-10-06 by default, which Azurite 3.37.0 refuses (HTTP 400) unless it was
    /// started with --skipApiVersionCheck; 2026-06-06 is accepted by that Azurite without the flag and by Azure.
    /// </summary>
    public const BlobClientOptions.ServiceVersion ServiceVersion = BlobClientOptions.ServiceVersion.V2026_06_06;

    private const string Forms =
        "an Azure Storage connection string (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...), "
        + "an account URL with a SAS token (https://<account>.blob.core.windows.net/?sv=...&sig=...), "
        + "or an account URL alone (signs in with DefaultAzureCredential)";

    private readonly string? _setting;
    private readonly Lazy<BlobServiceClient> _client;

    public BlobAccount(string? setting, ImageStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _setting = string.IsNullOrWhiteSpace(setting) ? null : setting.Trim();
        Options = options;
        _client = new Lazy<BlobServiceClient>(() => CreateClient(_setting!, ClientOptions(options)));
    }

    public ImageStoreOptions Options { get; }

    public bool IsConfigured => _setting is not null;

    /// <exception cref="InvalidOperationException">ConnectionStrings:Blob is missing or malformed; the message names the key.</exception>
    public BlobServiceClient Client => IsConfigured
        ? _client.Value
        : throw new InvalidOperationException(
            $"az:// locations and models need {ConfigurationKey} (environment variable ConnectionStrings__Blob): {Forms}");

    public BlobContainerClient Container(string name) => Client.GetBlobContainerClient(name);

    /// <summary>How a setting authenticates: decided from its form alone, without any request.</summary>
    public static BlobCredentialKind CredentialKind(string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        if (Uri.TryCreate(setting.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri.Query.Contains("sig=", StringComparison.OrdinalIgnoreCase) ? BlobCredentialKind.SasUrl : BlobCredentialKind.TokenCredential;
        }

        return BlobCredentialKind.ConnectionString;
    }

    public static BlobClientOptions ClientOptions(ImageStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new BlobClientOptions(ServiceVersion);
        result.Retry.Mode = RetryMode.Exponential;
        result.Retry.MaxRetries = options.BlobMaxRetries;
        result.Retry.Delay = options.BlobRetryDelay;
        result.Retry.MaxDelay = options.BlobMaxRetryDelay;
        result.Retry.NetworkTimeout = options.BlobNetworkTimeout;
        return result;
    }

    private static BlobServiceClient CreateClient(string setting, BlobClientOptions options)
    {
        var kind = CredentialKind(setting);
        if (kind == BlobCredentialKind.ConnectionString)
        {
            try
            {
                return new BlobServiceClient(setting, options);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new InvalidOperationException(
                    $"{ConfigurationKey} is not a valid Azure Storage connection string ({SecretRedactor.Redact(e.Message)}); give {Forms}");
            }
        }

        var uri = new Uri(setting);
        if (!string.IsNullOrEmpty(new BlobUriBuilder(uri).BlobContainerName))
        {
            throw new InvalidOperationException(
                $"{ConfigurationKey} must be the account URL, not a container's or a blob's ({uri.GetLeftPart(UriPartial.Path)}); the container goes in the az:// location");
        }

        return kind == BlobCredentialKind.SasUrl
            ? new BlobServiceClient(uri, options)
            : new BlobServiceClient(uri, new DefaultAzureCredential(), options);
    }
}

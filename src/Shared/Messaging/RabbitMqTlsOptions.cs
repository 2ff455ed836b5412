using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MassTransit;

namespace EfficientNet.Batch.Messaging;

/// <summary>
/// TLS to RabbitMQ beyond what an <c>amqps://</c> URI says (TLS on, certificate checked against the system trust
/// store and the URI's host name). Section "Bus:Tls". Every setting needs an amqps:// connection string: TLS settings on
/// a plain connection would silently do nothing, so they stop the process instead.
/// </summary>
public sealed class RabbitMqTlsOptions
{
    public const string SectionName = "Bus:Tls";

    /// <summary>The name the broker's certificate must carry, when it differs from the URI's host (e.g. connecting by IP).</summary>
    public string? ServerName { get; set; }

    /// <summary>A PEM or DER CA certificate that the broker's certificate may chain to, besides the system trust store (a private CA).</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>A PKCS#12 (.pfx/.p12) client certificate, for brokers that require mutual TLS.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The client certificate's passphrase (a secret: give it by environment variable or a mounted secret file).</summary>
    public string? ClientCertificatePassphrase { get; set; }

    private bool AnySet =>
        !string.IsNullOrWhiteSpace(ServerName) || !string.IsNullOrWhiteSpace(CaCertificatePath)
        || !string.IsNullOrWhiteSpace(ClientCertificatePath) || !string.IsNullOrWhiteSpace(ClientCertificatePassphrase);

    /// <summary>Fails with a message naming the key when the settings cannot take effect for <paramref name="address"/>.</summary>
    public void Validate(RabbitMqAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (AnySet && !address.UseTls)
        {
            throw new FormatException(
                $"{SectionName}:* settings are given but ConnectionStrings:RabbitMq is amqp://: use amqps://host:5671/ for TLS");
        }

        RequireFile(nameof(CaCertificatePath), CaCertificatePath);
        RequireFile(nameof(ClientCertificatePath), ClientCertificatePath);
        if (!string.IsNullOrWhiteSpace(ClientCertificatePassphrase) && string.IsNullOrWhiteSpace(ClientCertificatePath))
        {
            throw new FormatException($"{SectionName}:{nameof(ClientCertificatePassphrase)} is set without {SectionName}:{nameof(ClientCertificatePath)}");
        }
    }

    /// <summary>Applies the settings to MassTransit's TLS configuration of an amqps:// host.</summary>
    public void Apply(IRabbitMqSslConfigurator ssl, string host)
    {
        ArgumentNullException.ThrowIfNull(ssl);
        ssl.ServerName = string.IsNullOrWhiteSpace(ServerName) ? host : ServerName;
        if (!string.IsNullOrWhiteSpace(ClientCertificatePath))
        {
            ssl.CertificatePath = ClientCertificatePath;
            ssl.CertificatePassphrase = ClientCertificatePassphrase;
        }

        if (!string.IsNullOrWhiteSpace(CaCertificatePath))
        {
            var ca = LoadCaCertificate(CaCertificatePath);
            ssl.CertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(ca, certificate, errors);
        }
    }

    /// <summary>
    /// Accepts a certificate that is valid except for chaining to an unknown root, when it chains to <paramref name="ca"/>.
    /// A name mismatch or a missing certificate is never accepted.
    /// </summary>
    public static bool TrustedBy(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>Reads a CA certificate file in PEM (as openssl writes it) or DER form.</summary>
    public static X509Certificate2 LoadCaCertificate(string path) =>
        File.ReadAllText(path).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
            ? X509Certificate2.CreateFromPem(File.ReadAllText(path))
            : X509CertificateLoader.LoadCertificateFromFile(path);

    private static void RequireFile(string key, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
        {
            throw new FormatException($"{SectionName}:{key} names a file that does not exist: {path}");
        }
    }
}

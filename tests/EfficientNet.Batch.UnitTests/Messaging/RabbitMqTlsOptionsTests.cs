using EfficientNet.Batch.Messaging;
using EfficientNet.Batch.Storage.Database.Postgres;

namespace EfficientNet.Batch.UnitTests.Messaging;

public class RabbitMqTlsOptionsTests
{
    private static readonly RabbitMqAddress Plain = RabbitMqAddress.Parse("amqp://enb:pw@broker:5672/");
    private static readonly RabbitMqAddress Tls = RabbitMqAddress.Parse("amqps://enb:pw@broker/");

    [Fact]
    public void No_settings_are_valid_with_either_scheme()
    {
        new RabbitMqTlsOptions().Validate(Plain);
        new RabbitMqTlsOptions().Validate(Tls);
        Assert.Equal(5671, Tls.Port);
    }

    [Fact]
    public void Tls_settings_on_a_plain_amqp_connection_are_refused_naming_the_section()
    {
        var e = Assert.Throws<FormatException>(() => new RabbitMqTlsOptions { ServerName = "broker.internal" }.Validate(Plain));

        Assert.Equal("Bus:Tls:* settings are given but ConnectionStrings:RabbitMq is amqp://: use amqps://host:5671/ for TLS", e.Message);
    }

    [Theory]
    [InlineData(nameof(RabbitMqTlsOptions.CaCertificatePath))]
    [InlineData(nameof(RabbitMqTlsOptions.ClientCertificatePath))]
    public void A_certificate_file_that_does_not_exist_is_refused_naming_the_key(string key)
    {
        var options = key == nameof(RabbitMqTlsOptions.CaCertificatePath)
            ? new RabbitMqTlsOptions { CaCertificatePath = "/nonexistent/ca.pem" }
            : new RabbitMqTlsOptions { ClientCertificatePath = "/nonexistent/ca.pem" };

        var e = Assert.Throws<FormatException>(() => options.Validate(Tls));

        Assert.Equal($"Bus:Tls:{key} names a file that does not exist: /nonexistent/ca.pem", e.Message);
    }

    [Fact]
    public void A_passphrase_without_a_client_certificate_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => new RabbitMqTlsOptions { ClientCertificatePassphrase = "x" }.Validate(Tls));

        Assert.Contains("Bus:Tls:ClientCertificatePath", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_postgres_root_certificate_that_does_not_exist_is_refused_naming_the_key_not_the_password()
    {
        var e = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Parse(
            "Host=db;Username=enb;Password=hunter2;SSL Mode=VerifyFull;Root Certificate=/nonexistent/root.crt"));

        Assert.StartsWith("ConnectionStrings__Postgres: 'Root Certificate' names a file that does not exist: /nonexistent/root.crt", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_postgres_connection_string_with_tls_settings_and_existing_files_is_accepted()
    {
        var file = Path.GetTempFileName();
        try
        {
            var builder = PostgresConnectionString.Parse($"Host=db;Username=enb;SSL Mode=VerifyFull;Root Certificate={file}");

            Assert.Equal(Npgsql.SslMode.VerifyFull, builder.SslMode);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

public class RabbitMqCaTrustTests
{
    private static readonly DateTimeOffset From = DateTimeOffset.UtcNow.AddDays(-1);
    private static readonly DateTimeOffset To = DateTimeOffset.UtcNow.AddDays(30);

    [Fact]
    public void A_broker_certificate_issued_by_the_configured_ca_is_trusted_when_only_the_chain_failed()
    {
        using var ca = Authority("CN=enb test CA");
        using var leaf = Issue(ca, "CN=broker");

        Assert.True(RabbitMqTlsOptions.TrustedBy(ca, leaf, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void A_certificate_from_another_ca_or_with_a_name_mismatch_is_refused()
    {
        using var ca = Authority("CN=enb test CA");
        using var other = Authority("CN=someone else");
        using var foreign = Issue(other, "CN=broker");
        using var leaf = Issue(ca, "CN=broker");

        Assert.False(RabbitMqTlsOptions.TrustedBy(ca, foreign, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(RabbitMqTlsOptions.TrustedBy(ca, leaf,
            System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors | System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(RabbitMqTlsOptions.TrustedBy(ca, null, System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void A_pem_ca_file_as_openssl_writes_it_is_read()
    {
        using var ca = Authority("CN=enb test CA");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, ca.ExportCertificatePem());
            using var loaded = RabbitMqTlsOptions.LoadCaCertificate(file);

            Assert.Equal(ca.Thumbprint, loaded.Thumbprint);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Authority(string name)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(name, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509KeyUsageExtension(
            System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(From, To);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Issue(
        System.Security.Cryptography.X509Certificates.X509Certificate2 issuer, string name)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(name, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        return request.Create(issuer, From, To, Guid.NewGuid().ToByteArray()[..8]);
    }
}

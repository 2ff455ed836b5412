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

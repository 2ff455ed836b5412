namespace EfficientNet.Batch.Messaging;

/// <summary>An amqp:// or amqps:// connection string, parsed; <see cref="ToString"/> never shows the password.</summary>
public sealed record RabbitMqAddress(string Host, int Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public static RabbitMqAddress Parse(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new FormatException(
                "ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI such as amqp://user:password@127.0.0.1:5672/");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        var tls = uri.Scheme == "amqps";
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new RabbitMqAddress(
            uri.Host,
            uri.IsDefaultPort || uri.Port <= 0 ? (tls ? 5671 : 5672) : uri.Port,
            vhost.Length == 0 ? "/" : vhost,
            userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest",
            userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest",
            tls);
    }

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{VirtualHost.TrimStart('/')}";
}

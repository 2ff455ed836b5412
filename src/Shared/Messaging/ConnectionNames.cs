namespace EfficientNet.Batch.Messaging;

/// <summary>
/// The connection-string names operators, scripts and the chart agree on: ConnectionStrings__Postgres (Npgsql form),
/// ConnectionStrings__RabbitMq (amqp:// URI), ConnectionStrings__Blob (Azure Storage connection string).
/// </summary>
public static class ConnectionNames
{
    public const string Postgres = "Postgres";
    public const string RabbitMq = "RabbitMq";
    public const string Blob = "Blob";
}

namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// The real services the distributed tests use, as scripts/services.sh prints them. Missing variables fail the test
/// with the commands that fix it (CI always sets them).
/// </summary>
public static class ServiceEnvironment
{
    public static string Postgres => Require("ConnectionStrings__Postgres");

    public static string RabbitMq => Require("ConnectionStrings__RabbitMq");

    public static string Blob => Require("ConnectionStrings__Blob");

    public static string RabbitMqManagement => Require("ENB_RABBITMQ_MANAGEMENT_URL");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: start the services and load their settings with `scripts/services.sh up && eval \"$(scripts/services.sh env)\"`");
}

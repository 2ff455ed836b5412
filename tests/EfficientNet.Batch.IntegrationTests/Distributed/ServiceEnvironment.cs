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

    /// <summary>scripts/services.sh's state dir: ENB_SERVICES_DIR, else the script's default (the repository's .services).</summary>
    public static string ServicesDir =>
        Environment.GetEnvironmentVariable("ENB_SERVICES_DIR") is { Length: > 0 } dir ? dir : Path.Combine(TestPaths.RepoRoot, ".services");

    /// <summary>rabbitmqctl for the services' node: ENB_RABBITMQCTL, else the wrapper scripts/services.sh writes into its state dir.</summary>
    public static string RabbitMqCtl
    {
        get
        {
            if (Environment.GetEnvironmentVariable("ENB_RABBITMQCTL") is { Length: > 0 } path)
            {
                return path;
            }

            var wrapper = Path.Combine(ServicesDir, "bin", "rabbitmqctl");
            return File.Exists(wrapper)
                ? wrapper
                : throw new InvalidOperationException(
                    $"ENB_RABBITMQCTL is not set and {wrapper} does not exist: load the services' settings with `eval \"$(scripts/services.sh env)\"`");
        }
    }

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: start the services and load their settings with `scripts/services.sh up && eval \"$(scripts/services.sh env)\"`");
}

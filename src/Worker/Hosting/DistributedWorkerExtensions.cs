using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Messaging;
using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Worker.Hosting;

/// <summary>The standalone worker process of distributed mode: the shared pipeline over RabbitMQ, PostgreSQL and the configured image stores.</summary>
public static class DistributedWorkerExtensions
{
    public static IHostApplicationBuilder AddDistributedWorker(this IHostApplicationBuilder builder)
    {
        builder.AddConfigFile();
        var postgres = RequiredConnectionString(builder.Configuration, ConnectionNames.Postgres, "Host=...;Database=...;Username=...;Password=...");
        RequiredConnectionString(builder.Configuration, ConnectionNames.RabbitMq, "amqp://user:password@host:5672/");

        builder.AddBatchLogging();
        builder.Services.AddBatchStorage(postgres, sqlitePath: "");
        builder.Services.AddSingleton(new DatabaseDescription(PostgresDescription(postgres)));
        builder.Services.AddHostedService<DatabaseStartupCheck>();
        builder.AddInferenceWorker();
        builder.AddShardBus(bus => bus.AddInferenceConsumers());
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        return builder;
    }

    private static string PostgresDescription(string connectionString)
    {
        try
        {
            return $"postgres://{PostgresConnectionString.Describe(connectionString)}";
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    private static string RequiredConnectionString(IConfiguration configuration, string name, string form)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set (environment variable ConnectionStrings__{name}); expected the form {form}");
        }

        return value;
    }
}

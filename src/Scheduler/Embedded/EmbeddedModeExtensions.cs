using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Messaging;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace EfficientNet.Batch.Scheduler.Embedded;

/// <summary>
/// Embedded mode: scheduler and worker in one process over MassTransit's in-memory transport. The same consumers and
/// pipeline as distributed mode; only the transport (and, unless Postgres is configured, the database) differ.
/// </summary>
public static class EmbeddedModeExtensions
{
    public static IHostApplicationBuilder AddEmbeddedMode(this IHostApplicationBuilder builder, DatabaseChoice database, bool verbose)
    {
        builder.AddBatchLogging(verbose ? LogEventLevel.Information : LogEventLevel.Warning);
        database.AddTo(builder.Services);
        builder.AddInferenceWorker();
        builder.Services.AddSingleton<RunPlanner>();
        builder.Services.AddSingleton<RunMonitor>();
        builder.Services.AddSingleton<RunFollower>();
        builder.AddShardBus(bus =>
        {
            bus.AddInferenceConsumers();
            bus.AddConsumer<ShardFaultConsumer>();
        }, forceInMemory: true);
        return builder;
    }
}

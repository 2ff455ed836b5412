using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Scheduler.Faults;
using EfficientNet.Batch.Scheduler.Planning;
using EfficientNet.Batch.Scheduler.Progress;
using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Worker;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace EfficientNet.Batch.Scheduler.Embedded;

/// <summary>
/// Embedded mode: scheduler and worker in one process over MassTransit's in-memory transport and a SQLite file.
/// The same consumers and pipeline as distributed mode; only the transport and database differ.
/// </summary>
public static class EmbeddedModeExtensions
{
    public static IHostApplicationBuilder AddEmbeddedMode(this IHostApplicationBuilder builder, string databasePath, bool verbose)
    {
        builder.AddBatchLogging(verbose ? LogEventLevel.Information : LogEventLevel.Warning);
        builder.Services.AddEmbeddedStorage(databasePath);
        builder.AddInferenceWorker();
        builder.Services.AddSingleton<RunPlanner>();
        builder.Services.AddSingleton<RunMonitor>();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.AddInferenceConsumers();
            bus.AddConsumer<ShardFaultConsumer>();
            bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        return builder;
    }
}

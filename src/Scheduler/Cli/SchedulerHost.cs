using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Messaging;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Worker.Pipeline;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>The services of distributed scheduler commands (submit, retry-failed): the job database, the bus (publish only), image sources, planning.</summary>
public static class SchedulerHost
{
    public static async Task<IHost> StartAsync(DatabaseChoice database, bool verbose, CancellationToken cancellationToken, Action<IBusRegistrationConfigurator>? consumers = null)
    {
        DistributedOptions.RequirePostgres(database);
        DistributedOptions.RequireRabbitMq();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        Configure(builder, database, verbose ? LogEventLevel.Information : LogEventLevel.Warning, consumers);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || e.InnerException is not null)
        {
            host.Dispose();
            throw new CliException($"cannot start: {SecretRedactor.Redact(e.GetBaseException().Message)} (is RabbitMQ running at {RabbitMqAddress.Parse(DistributedOptions.RequireRabbitMq())}?)");
        }

        return host;
    }

    /// <summary>Composition shared by the CLI's distributed commands and the scheduler service.</summary>
    public static void Configure(IHostApplicationBuilder builder, DatabaseChoice database, LogEventLevel level, Action<IBusRegistrationConfigurator>? consumers)
    {
        builder.AddConfigFile();
        builder.AddBatchLogging(level);
        database.AddTo(builder.Services);
        AddImageStores(builder);
        builder.Services.AddModelFileCache();
        builder.Services.AddSingleton<RunPlanner>();
        builder.Services.AddSingleton<RunMonitor>();
        builder.Services.AddSingleton<RunFollower>();
        builder.AddShardBus(bus => consumers?.Invoke(bus));
    }

    /// <summary>Image stores (and the Blob account) with the pipeline's byte limit: for planning, and for the dashboard's thumbnails.</summary>
    public static void AddImageStores(IHostApplicationBuilder builder) =>
        builder.Services.AddImageStores(
            builder.Configuration.GetConnectionString(ConnectionNames.Blob),
            builder.Configuration.GetValue($"{PipelineOptions.SectionName}:{nameof(PipelineOptions.MaxImageBytes)}", new PipelineOptions().MaxImageBytes));
}

using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// Publishes the shard queue's depth and consumer count as metrics (what KEDA scales workers on, and what an operator
/// checks first when a run stalls). A passive declare over AMQP reads the broker's exact count; the management API's
/// lags by up to ~10 s (docs/services.md) and needs its own credentials.
/// </summary>
public sealed class QueueDepthMonitor(IConfiguration configuration, ILogger<QueueDepthMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(configuration.GetConnectionString(ConnectionNames.RabbitMq)!), ClientProvidedName = "enb-serve-queue-depth" };
        using var timer = new PeriodicTimer(Interval);
        IConnection? connection = null;
        try
        {
            do
            {
                try
                {
                    connection ??= await factory.CreateConnectionAsync(stoppingToken);
                    await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
                    var queue = await channel.QueueDeclarePassiveAsync(ShardQueue.Name, stoppingToken);
                    SchedulerMetrics.QueueMessages.WithLabels(ShardQueue.Name).Set(queue.MessageCount);
                    SchedulerMetrics.QueueConsumers.WithLabels(ShardQueue.Name).Set(queue.ConsumerCount);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The queue does not exist until the first worker or publish declares it; the broker may be restarting.
                    logger.LogDebug("Queue depth not read: {Reason}", SecretRedactor.Redact(e.Message));
                    if (connection is { IsOpen: false })
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}

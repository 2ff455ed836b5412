using EfficientNet.Batch.Contracts;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Messaging;

/// <summary>
/// The message bus of every process: RabbitMQ when ConnectionStrings:RabbitMq is set (distributed mode), MassTransit's
/// in-memory transport otherwise (embedded mode). Consumers and their definitions are the same in both.
/// </summary>
public static class ShardBusExtensions
{
    public static IHostApplicationBuilder AddShardBus(
        this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> consumers, bool forceInMemory = false)
    {
        var rabbit = forceInMemory ? null : builder.Configuration.GetConnectionString(ConnectionNames.RabbitMq);
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            consumers(bus);
            if (string.IsNullOrWhiteSpace(rabbit))
            {
                bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
                return;
            }

            var address = RabbitMqAddress.Parse(rabbit);
            var tls = builder.Configuration.GetSection(RabbitMqTlsOptions.SectionName).Get<RabbitMqTlsOptions>() ?? new RabbitMqTlsOptions();
            tls.Validate(address);
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                // Quorum queues: replicated, and messages survive a broker crash (kill -9 of the broker; docs/reliability.md).
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbitEndpoint)
                {
                    rabbitEndpoint.SetQuorumQueue();
                }
            });
            bus.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(address.Host, (ushort)address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    if (address.UseTls)
                    {
                        h.UseSsl(ssl => tls.Apply(ssl, address.Host));
                    }
                });

                // The scheduler may publish before any worker has declared its endpoint: the publisher binds the queue
                // (same arguments as the consumer's endpoint) straight to the message type's exchange, so no shard is
                // dropped by an exchange without bindings. Once a worker adds its own exchange-to-exchange path,
                // RabbitMQ still delivers one copy per queue.
                cfg.Publish<ProcessShard>(publish => publish.BindQueue(
                    cfg.MessageTopology.EntityNameFormatter.FormatEntityName<ProcessShard>(), ShardQueue.Name, queue => queue.SetQuorumQueue()));
                cfg.ConfigureEndpoints(context);
            });
        });
        var startTimeout = builder.Configuration.GetValue("Bus:StartTimeoutSeconds", 30);
        builder.Services.Configure<MassTransitHostOptions>(options =>
        {
            // A process that cannot reach the broker fails its start with the reason instead of idling.
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(startTimeout);
        });
        return builder;
    }
}

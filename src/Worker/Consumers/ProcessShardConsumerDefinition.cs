using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Pipeline;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Worker.Consumers;

/// <summary>
/// Endpoint tuning of the shard consumer: few shards at once (each holds hundreds of images), prefetch equal to
/// that, and retries for transient faults (database or store hiccups). A model that does not match its spec is
/// not retried: it fails the same way every time.
/// </summary>
public sealed class ProcessShardConsumerDefinition : ConsumerDefinition<ProcessShardConsumer>
{
    private readonly PipelineOptions _options;

    public ProcessShardConsumerDefinition(IOptions<PipelineOptions> options)
    {
        _options = options.Value;
        EndpointName = "process-shard";
        ConcurrentMessageLimit = _options.ShardConcurrency;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ProcessShardConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.ShardConcurrency;
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<ModelSpecException>();
            retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
        });
    }
}

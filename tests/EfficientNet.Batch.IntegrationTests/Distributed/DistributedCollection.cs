namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// Tests that start worker processes run one at a time: each is isolated (its own database, vhost, container), but
/// two of them at once would share this machine's two cores and measure nothing but contention.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedCollection
{
    public const string Name = "distributed";
}

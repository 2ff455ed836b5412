using EfficientNet.Batch.Contracts;

namespace EfficientNet.Batch.Worker.Pipeline;

/// <summary>
/// One (run, shard) a shard message asks for: the message's own run, or another run of its pass
/// (<see cref="PassMember"/>). Its predictions come from <see cref="Model"/>, or from every teacher of <see cref="Ensemble"/>.
/// </summary>
public sealed record ShardTarget(Guid RunId, long ShardId, ModelReference Model, ShardOptions Options, EnsembleTeachers? Ensemble = null)
{
    public IReadOnlyList<ModelReference> Models => Ensemble?.Models ?? [Model];

    /// <summary>The message's own run first, then its pass members.</summary>
    public static IReadOnlyList<ShardTarget> Of(ProcessShard shard) =>
        [
            new(shard.RunId, shard.ShardId, shard.Model, shard.Options, shard.Ensemble),
            .. shard.PassMembers.Select(m => new ShardTarget(m.RunId, m.ShardId, m.Model, m.Options)),
        ];

    /// <summary>This target alone, as a message of its own (a pass member split off after its model failed).</summary>
    public ProcessShard Alone(IReadOnlyList<ShardItem> items) =>
        new() { RunId = RunId, ShardId = ShardId, Items = items, Model = Model, Options = Options, Ensemble = Ensemble };
}

/// <summary>What one target of a shard gave: its results, or the error that stopped its model (load or inference).</summary>
public sealed record TargetOutcome(ShardTarget Target, Results.ShardResult? Result, Exception? Error);

namespace EfficientNet.Batch.Results;

/// <summary>Why one image produced no labels. The shard it belongs to still completes.</summary>
/// <param name="Stage">Where it failed: see <see cref="FailureStage"/>.</param>
/// <param name="Reason">A sentence a person can act on, e.g. "not an image: the file starts with '&lt;html'".</param>
public sealed record ImageFailure(long ImageId, string Stage, string Reason);

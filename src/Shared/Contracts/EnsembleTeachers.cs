namespace EfficientNet.Batch.Contracts;

/// <summary>
/// An ensemble teacher: the shard's predictions are the combined probabilities of these models (the message's own
/// <see cref="ProcessShard.Model"/> is the first of them), all sharing one label space.
/// </summary>
/// <param name="Method"><c>mean</c> (arithmetic mean of probabilities) or <c>geometric</c> (geometric mean, renormalised).</param>
public sealed record EnsembleTeachers(string Method, IReadOnlyList<ModelReference> Models);

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>A registered model: where its file is, its hash, its spec and its class names (null when it has none).</summary>
public sealed record ModelInfo(long Id, string Name, string Uri, string Sha256, string SpecJson, IReadOnlyList<string>? Labels);

namespace EfficientNet.Batch.Contracts;

/// <summary>
/// Which model a shard runs: the ONNX file's location, the SHA-256 of its bytes (workers refuse a mismatch),
/// and the database id of the model row.
/// </summary>
public sealed record ModelReference(long ModelId, string Uri, string Sha256);

namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>A registered ONNX model, identified by the SHA-256 of its bytes.</summary>
public sealed class ModelEntity
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Uri { get; set; }
    public required string Sha256 { get; set; }
    public required string SpecJson { get; set; }

    /// <summary>Class names, one per line (from the spec's labels file), so exports need no model file.</summary>
    public string? Labels { get; set; }
    public DateTime CreatedAt { get; set; }
}

namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>Why one image of a run produced no labels.</summary>
public sealed class FailureEntity
{
    public Guid RunId { get; set; }
    public long ImageId { get; set; }
    public required string Stage { get; set; }
    public required string Reason { get; set; }
    public DateTime CreatedAt { get; set; }
}

namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>One image of a pseudo-label set: its hard label, the teacher's confidence, and how many times it is a sample.</summary>
public sealed class PseudoLabelEntity
{
    public long SetId { get; set; }
    public long ImageId { get; set; }
    public int Label { get; set; }
    public float Confidence { get; set; }
    public int Copies { get; set; }
}

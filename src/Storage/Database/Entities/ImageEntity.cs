namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>One image of a source, shared by every run over that source.</summary>
public sealed class ImageEntity
{
    public long Id { get; set; }
    public required string Source { get; set; }
    public required string Key { get; set; }
}

namespace EfficientNet.Batch.Storage.Locations;

/// <summary>A folder on this machine (absolute); keys are '/'-separated paths relative to it.</summary>
public sealed record LocalFolderLocation(string Folder) : ImageLocation
{
    public override string ToString() => Folder;
}

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>A selection was given a name that another set already has: sets are immutable records of a generation.</summary>
public sealed class PseudoLabelSetExistsException(string name)
    : Exception($"a pseudo-label set named '{name}' already exists: choose another --name (sets are never overwritten)")
{
    public string Name { get; } = name;
}

using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>Compares and snapshots arrays by content, so change tracking sees element edits of converted arrays.</summary>
public sealed class ArrayContentComparer<T> : ValueComparer<T[]>
    where T : unmanaged, IEquatable<T>
{
    public ArrayContentComparer()
        : base((left, right) => AreEqual(left, right), values => Hash(values), values => values.ToArray())
    {
    }

    private static bool AreEqual(T[]? left, T[]? right) =>
        left is null ? right is null : right is not null && left.AsSpan().SequenceEqual(right);

    private static int Hash(T[] values)
    {
        var hash = new HashCode();
        hash.Add(values.Length);
        foreach (var value in values)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }
}

using System.Runtime.InteropServices;
using ParquetSharp;
using ParquetSharp.Schema;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Schema nodes shared by the Parquet exporters (ParquetSharp). Schemas are built node by node because ParquetSharp's
/// <see cref="Column{T}"/> names a list's element "item"; the Parquet format's list layout names it "element", as
/// pyarrow writes it and Parquet.Net reads it.
/// </summary>
internal static class ParquetColumns
{
    /// <summary>An optional UTF-8 string.</summary>
    public static PrimitiveNode Text(string name) => new(name, Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray);

    public static PrimitiveNode Int32(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Int32);

    public static PrimitiveNode Float(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Float);

    /// <summary>An optional byte array without a logical type.</summary>
    public static PrimitiveNode Bytes(string name) => new(name, Repetition.Optional, LogicalType.None(), PhysicalType.ByteArray);

    /// <summary>An optional list (null, empty, or values) of the node <paramref name="element"/> makes, named "element".</summary>
    public static GroupNode List(string name, Func<string, Node> element)
    {
        using var item = element("element");
        using var repeated = new GroupNode("list", Repetition.Repeated, [item]);
        return new GroupNode(name, Repetition.Optional, [repeated], LogicalType.List());
    }

    /// <summary>The file's root group over <paramref name="fields"/>, which it disposes (the group holds its own references).</summary>
    public static GroupNode Schema(IReadOnlyList<Node> fields)
    {
        try
        {
            return new GroupNode("schema", Repetition.Required, [.. fields]);
        }
        finally
        {
            foreach (var field in fields)
            {
                field.Dispose();
            }
        }
    }
}

/// <summary>A column of a Parquet row group being gathered, written as it stands and emptied for the next group.</summary>
internal interface IParquetColumnBuffer
{
    void Flush(RowGroupWriter group);
}

/// <summary>The values of one column in a row group being gathered, written with ParquetSharp's logical writer.</summary>
internal sealed class ParquetColumnBuffer<T> : IParquetColumnBuffer
{
    private readonly List<T> _values = [];

    public int Count => _values.Count;

    public void Add(T value) => _values.Add(value);

    /// <summary>Writes the values as the row group's next column and empties the buffer.</summary>
    public void Flush(RowGroupWriter group)
    {
        using (var column = group.NextColumn().LogicalWriter<T>())
        {
            column.WriteBatch(CollectionsMarshal.AsSpan(_values));
        }

        _values.Clear();
    }
}

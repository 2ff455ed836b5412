using System.Runtime.InteropServices;
using ParquetSharp;
using ParquetSharp.Schema;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Schema nodes and column writes shared by the Parquet exporters (ParquetSharp). Schemas are built node by node
/// because ParquetSharp's <see cref="Column{T}"/> names a list's element "item"; the Parquet format's list layout
/// names it "element", as pyarrow writes it and Parquet.Net reads it.
/// </summary>
internal static class ParquetColumns
{
    /// <summary>An optional UTF-8 string.</summary>
    public static PrimitiveNode Text(string name) => new(name, Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray);

    public static PrimitiveNode Int32(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Int32);

    public static PrimitiveNode Float(string name) => new(name, Repetition.Required, LogicalType.None(), PhysicalType.Float);

    /// <summary>An optional byte array without a logical type.</summary>
    public static PrimitiveNode Bytes(string name) => new(name, Repetition.Optional, LogicalType.None(), PhysicalType.ByteArray);

    /// <summary>An optional list (null, empty, or values); takes ownership of <paramref name="element"/>, named "element".</summary>
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

    /// <summary>Writes <paramref name="values"/> as the row group's next column.</summary>
    public static void Write<T>(RowGroupWriter group, List<T> values)
    {
        using var column = group.NextColumn().LogicalWriter<T>();
        column.WriteBatch(CollectionsMarshal.AsSpan(values));
    }
}

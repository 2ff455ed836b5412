using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>
/// Maps a float[] property to its float16 BLOB / bytea (see <see cref="Float16Blob"/>) on both providers: entities
/// and LINQ projections see float32 values, the table holds two bytes per element.
/// </summary>
public sealed class Float16BlobConverter : ValueConverter<float[], byte[]>
{
    public Float16BlobConverter()
        : base(values => Float16Blob.ToBytes(values), bytes => Float16Blob.ToFloats(bytes))
    {
    }
}

using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>
/// Maps a primitive array property to a BLOB (see <see cref="ArrayBlob"/>). Registered only by the SQLite context;
/// Postgres maps the same properties to native int[] / bigint[] / real[].
/// </summary>
public sealed class ArrayToBlobConverter<T> : ValueConverter<T[], byte[]>
    where T : unmanaged
{
    public ArrayToBlobConverter()
        : base(values => ArrayBlob.ToBytes<T>(values), bytes => ArrayBlob.FromBytes<T>(bytes))
    {
    }
}

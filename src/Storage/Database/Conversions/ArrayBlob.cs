using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>
/// The BLOB layout of arrays on providers without an array type (SQLite): the elements (int32, int64, float32)
/// back to back, little-endian. <see cref="ArrayToBlobConverter{T}"/> uses it for EF Core; the raw SQL writers and
/// readers use it directly.
/// </summary>
public static class ArrayBlob
{
    public static byte[] ToBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEachElement<T>(bytes);
        }

        return bytes;
    }

    public static T[] FromBytes<T>(ReadOnlySpan<byte> bytes)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        if (bytes.Length % size != 0)
        {
            throw new InvalidDataException(
                $"a BLOB of {bytes.Length} bytes is not an array of {typeof(T).Name} ({size} bytes each)");
        }

        var values = new T[bytes.Length / size];
        var target = MemoryMarshal.AsBytes(values.AsSpan());
        bytes.CopyTo(target);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEachElement<T>(target);
        }

        return values;
    }

    private static void ReverseEachElement<T>(Span<byte> bytes)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            bytes.Slice(offset, size).Reverse();
        }
    }
}

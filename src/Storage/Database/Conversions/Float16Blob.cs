using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>
/// The stored form of embeddings (predictions.embedding) and full class distributions (predictions.full_probabilities),
/// BLOB / bytea on both providers: IEEE 754 binary16 per element, little-endian (2,560 bytes for a 1280-d embedding).
/// Half of float32's size; values keep ~3 significant digits (relative error at most 2^-11, round to nearest even),
/// values under 6e-8 become 0 and values beyond ±65504 become infinite, which probabilities and pooled embeddings
/// can afford.
/// </summary>
public static class Float16Blob
{
    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        if (BitConverter.IsLittleEndian)
        {
            TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(bytes.AsSpan()));
            return bytes;
        }

        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2, 2), (Half)values[i]);
        }

        return bytes;
    }

    public static byte[] ToBytes(ReadOnlySpan<Half> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2, 2), values[i]);
        }

        return bytes;
    }

    public static float[] ToFloats(ReadOnlySpan<byte> bytes)
    {
        var halves = ToHalves(bytes);
        var values = new float[halves.Length];
        TensorPrimitives.ConvertToSingle(halves, values);
        return values;
    }

    public static Half[] ToHalves(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 2 != 0)
        {
            throw new InvalidDataException($"a float16 array of {bytes.Length} bytes has an odd length");
        }

        var values = new Half[bytes.Length / 2];
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(i * 2, 2));
        }

        return values;
    }
}

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

    /// <summary>The number of values in a stored array: half its length in bytes (an odd length is not a float16 array).</summary>
    public static int Length(ReadOnlySpan<byte> bytes) =>
        bytes.Length % 2 == 0 ? bytes.Length / 2 : throw new InvalidDataException($"a float16 array of {bytes.Length} bytes has an odd length");

    /// <summary>Widens a stored array into <paramref name="destination"/> (at least <see cref="Length"/> values), without allocating.</summary>
    public static void ConvertToSingle(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        var length = Length(bytes);
        if (BitConverter.IsLittleEndian)
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination[..length]);
            return;
        }

        for (var i = 0; i < length; i++)
        {
            destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(i * 2, 2));
        }
    }

    public static float[] ToFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[Length(bytes)];
        ConvertToSingle(bytes, values);
        return values;
    }
}

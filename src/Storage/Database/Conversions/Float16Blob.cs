using System.Buffers.Binary;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>
/// The stored form of a full class distribution (predictions.full_probabilities, BLOB / bytea on both providers):
/// IEEE 754 binary16 per class, little-endian. Half of float32's size; probabilities keep ~3 significant digits
/// (relative error at most 2^-11), and values under 6e-8 become 0, which soft labels can afford.
/// </summary>
public static class Float16Blob
{
    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2, 2), (Half)values[i]);
        }

        return bytes;
    }

    public static float[] ToFloats(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 2 != 0)
        {
            throw new InvalidDataException($"a float16 distribution of {bytes.Length} bytes has an odd length");
        }

        var values = new float[bytes.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(i * 2, 2));
        }

        return values;
    }
}

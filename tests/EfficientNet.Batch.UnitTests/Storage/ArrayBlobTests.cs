using EfficientNet.Batch.Storage.Database.Conversions;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class ArrayBlobTests
{
    [Fact]
    public void Int32_values_are_stored_little_endian_back_to_back()
    {
        var bytes = ArrayBlob.ToBytes<int>([1, -2, 0x01020304]);

        Assert.Equal([1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 4, 3, 2, 1], bytes);
    }

    [Fact]
    public void Float32_values_are_stored_as_their_ieee_754_bits()
    {
        var bytes = ArrayBlob.ToBytes<float>([1.0f, -0.5f]);

        Assert.Equal([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xBF], bytes);
    }

    [Fact]
    public void Int64_values_are_stored_in_eight_bytes_each()
    {
        var bytes = ArrayBlob.ToBytes<long>([1L, long.MaxValue]);

        Assert.Equal(16, bytes.Length);
        Assert.Equal([1L, long.MaxValue], ArrayBlob.FromBytes<long>(bytes));
    }

    [Fact]
    public void Floats_round_trip_bit_for_bit_including_special_values()
    {
        float[] values = [0f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, 1e-38f, 3.4028235e38f, 0.1f];

        var back = ArrayBlob.FromBytes<float>(ArrayBlob.ToBytes<float>(values));

        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void An_empty_array_is_an_empty_blob()
    {
        Assert.Empty(ArrayBlob.ToBytes<int>([]));
        Assert.Empty(ArrayBlob.FromBytes<float>([]));
    }

    [Fact]
    public void A_blob_that_is_not_a_whole_number_of_elements_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => ArrayBlob.FromBytes<float>(new byte[6]));

        Assert.Equal("a BLOB of 6 bytes is not an array of Single (4 bytes each)", error.Message);
    }
}

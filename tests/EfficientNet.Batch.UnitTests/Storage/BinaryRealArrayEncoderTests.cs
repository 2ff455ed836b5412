using EfficientNet.Batch.Storage.Database.Postgres;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class BinaryRealArrayEncoderTests
{
    [Fact]
    public void A_float_array_is_encoded_as_postgres_array_send_writes_a_real_array()
    {
        var bytes = new BinaryRealArrayEncoder().Encode([1f, -2.5f]).ToArray();

        Assert.Equal(
            [
                0, 0, 0, 1,             // one dimension
                0, 0, 0, 0,             // no NULLs
                0, 0, 2, 188,           // element type: real (OID 700)
                0, 0, 0, 2,             // two elements
                0, 0, 0, 1,             // lower bound 1
                0, 0, 0, 4, 63, 128, 0, 0,     // length 4, 1.0f big-endian
                0, 0, 0, 4, 192, 32, 0, 0,     // length 4, -2.5f big-endian
            ],
            bytes);
    }

    [Fact]
    public void An_empty_array_is_a_header_only()
    {
        Assert.Equal(20, new BinaryRealArrayEncoder().Encode([]).Length);
    }

    [Fact]
    public void The_buffer_is_reused_and_each_result_has_the_length_of_its_own_array()
    {
        var encoder = new BinaryRealArrayEncoder();
        var longer = encoder.Encode(new float[1280]);
        var shorter = encoder.Encode([3f]);

        Assert.Equal(20 + (1280 * 8), longer.Length);
        Assert.Equal(28, shorter.Length);
    }
}

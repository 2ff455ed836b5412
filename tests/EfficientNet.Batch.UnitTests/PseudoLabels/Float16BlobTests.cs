using EfficientNet.Batch.Storage.Database.Conversions;

namespace EfficientNet.Batch.UnitTests.PseudoLabels;

public sealed class Float16BlobTests
{
    [Fact]
    public void A_distribution_takes_two_bytes_per_class_and_comes_back_within_float16_precision()
    {
        var distribution = Enumerable.Range(0, 1000).Select(i => (float)Math.Exp(-i / 50.0)).ToArray();
        var bytes = Float16Blob.ToBytes(distribution);
        var back = Float16Blob.ToFloats(bytes);

        Assert.Equal(2000, bytes.Length);
        Assert.All(distribution.Zip(back), pair => Assert.True(
            Math.Abs(pair.First - pair.Second) <= Math.Max(pair.First * Math.Pow(2, -11), 6e-8),
            $"{pair.First} came back as {pair.Second}"));
    }

    [Fact]
    public void An_odd_length_is_not_a_float16_distribution()
    {
        Assert.Throws<InvalidDataException>(() => Float16Blob.ToFloats(new byte[3]));
    }

    [Fact]
    public void Values_are_ieee_binary16_little_endian_rounded_to_nearest_even()
    {
        // 1.00048828125 lies halfway between 1 and the next float16 (1 + 2^-10): ties go to the even 1.
        float[] values = [1f, -2.5f, 1.00048828125f, 1.00146484375f, 65504f, 65520f, 1e-8f];

        Assert.Equal(
            [0x00, 0x3C, 0x00, 0xC1, 0x00, 0x3C, 0x02, 0x3C, 0xFF, 0x7B, 0x00, 0x7C, 0x00, 0x00],
            Float16Blob.ToBytes(values));
        var widened = new float[3];
        Float16Blob.ConvertToSingle([0x00, 0x3C, 0x00, 0xC1], widened);
        Assert.Equal([1f, -2.5f, 0f], widened);
        Assert.Equal(2, Float16Blob.Length([0x00, 0x3C, 0x00, 0xC1]));
    }
}

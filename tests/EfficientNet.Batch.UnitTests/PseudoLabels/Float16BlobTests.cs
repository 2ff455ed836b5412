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
}

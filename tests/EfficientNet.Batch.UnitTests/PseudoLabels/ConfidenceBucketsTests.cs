using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.UnitTests.PseudoLabels;

public sealed class ConfidenceBucketsTests
{
    [Theory]
    [InlineData(1.0f, 100)]
    [InlineData(0.955f, 95)]
    [InlineData(0.95f, 94)] // float32 0.95 is 0.949999988...: below the 0.95 threshold, as p >= 0.95 says
    [InlineData(0.305f, 30)]
    [InlineData(0.0f, 0)]
    public void A_confidence_falls_in_the_bucket_of_its_float32_value(float confidence, int bucket)
    {
        Assert.Equal(bucket, ConfidenceBuckets.Of(confidence));
    }

    [Theory]
    [InlineData(0.3, 30)]
    [InlineData(0.305, 31)]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 100)]
    public void The_floor_is_the_minimum_confidence_in_hundredths_rounded_up(double minConfidence, int bucket)
    {
        Assert.Equal(bucket, ConfidenceBuckets.FloorOf(minConfidence));
    }

    [Fact]
    public void A_floor_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceBuckets.FloorOf(1.5));
    }
}

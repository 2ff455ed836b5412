using EfficientNet.Batch.Worker.Inference;

namespace EfficientNet.Batch.UnitTests.Inference;

public sealed class BatchBucketsTests
{
    [Fact]
    public void Buckets_are_powers_of_two_up_to_the_maximum()
    {
        Assert.Equal([1, 2, 4, 8], new BatchBuckets(8).Sizes);
        Assert.Equal([1, 2, 4, 8, 12], new BatchBuckets(12).Sizes);
        Assert.Equal([1], new BatchBuckets(1).Sizes);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(5, 8)]
    [InlineData(9, 12)]
    [InlineData(12, 12)]
    public void A_partial_batch_is_padded_to_the_next_bucket(int count, int bucket) =>
        Assert.Equal(bucket, new BatchBuckets(12).BucketFor(count));

    [Fact]
    public void More_images_than_the_maximum_is_a_programming_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchBuckets(8).BucketFor(9));
}

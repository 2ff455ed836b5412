using EfficientNet.Batch.Scheduler.Embeddings;

namespace EfficientNet.Batch.UnitTests.Embeddings;

public sealed class FanOutTests
{
    [Fact]
    public async Task Every_item_reaches_exactly_one_worker()
    {
        long sum = 0;
        var fed = await FanOut.RunAsync(Numbers(10_000), 3, n => Interlocked.Add(ref sum, n), CancellationToken.None);

        Assert.Equal((10_000L, 10_000L * 9_999 / 2), (fed, sum));
    }

    [Fact]
    public async Task A_failing_worker_stops_the_feed_and_its_exception_comes_out_instead_of_a_hang()
    {
        // Far more items than the channel holds: without the stop, the feed would wait on a full channel forever.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => FanOut.RunAsync(
            Numbers(1_000_000), 2, n => { if (n == 5) { throw new InvalidOperationException("item 5"); } }, CancellationToken.None));

        Assert.Equal("item 5", error.Message);
    }

    private static async IAsyncEnumerable<long> Numbers(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
            if (i % 1000 == 0)
            {
                await Task.Yield();
            }
        }
    }
}

using System.Runtime.CompilerServices;
using EfficientNet.Batch.Scheduler.Export;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class ReadAheadTests
{
    // Capacities 16 and 4096 hand items over in chunks of 2 and 512; 10,000 items end in a part chunk.
    [Theory]
    [InlineData(16)]
    [InlineData(4096)]
    public async Task Every_item_arrives_once_in_order(int capacity)
    {
        var seen = new List<long>();
        await foreach (var n in Numbers(10_000).ReadAheadAsync(capacity, CancellationToken.None))
        {
            seen.Add(n);
        }

        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), seen);
    }

    // At capacity 4096 the error comes in the middle of the third chunk of 512: the 1,066 items before it still arrive.
    [Theory]
    [InlineData(8, 42)]
    [InlineData(4096, 1_066)]
    public async Task An_error_of_the_source_reaches_the_consumer_as_itself_after_the_items_before_it(int capacity, int failAt)
    {
        var seen = new List<long>();
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var n in Numbers(10_000, failAt: failAt).ReadAheadAsync(capacity, CancellationToken.None))
            {
                seen.Add(n);
            }
        });

        Assert.Equal($"item {failAt}", error.Message);
        Assert.Equal(Enumerable.Range(0, failAt).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task A_consumer_that_stops_early_stops_the_source_instead_of_leaving_it_blocked_on_a_full_buffer()
    {
        var stopped = new TaskCompletionSource();
        await foreach (var n in Numbers(1_000_000, onStop: stopped).ReadAheadAsync(4, CancellationToken.None))
        {
            if (n == 10)
            {
                break;
            }
        }

        // The enumerator's disposal waits for the source: it has stopped by now.
        Assert.True(stopped.Task.IsCompleted, "the source is still running after the consumer stopped");
    }

    private static async IAsyncEnumerable<long> Numbers(
        long count, long failAt = -1, TaskCompletionSource? onStop = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            for (long i = 0; i < count; i++)
            {
                if (i == failAt)
                {
                    throw new InvalidDataException($"item {i}");
                }

                cancellationToken.ThrowIfCancellationRequested();
                yield return i;
                if (i % 64 == 0)
                {
                    await Task.Yield();
                }
            }
        }
        finally
        {
            onStop?.TrySetResult();
        }
    }
}

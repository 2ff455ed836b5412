using System.Threading.Channels;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// Feeds a stream to several worker threads through a bounded channel (memory: the channel, not the stream). The index
/// build inserts this way and the near-duplicate pass searches this way; a worker's exception stops the feed and is
/// rethrown.
/// </summary>
public static class FanOut
{
    private const int Capacity = 1024;

    /// <summary>Runs <paramref name="work"/> on every item with <paramref name="threads"/> workers; returns how many items were fed.</summary>
    public static async Task<long> RunAsync<T>(IAsyncEnumerable<T> items, int threads, Action<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(work);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(Capacity) { SingleWriter = true });
        var workers = Enumerable.Range(0, Math.Max(1, threads)).Select(_ => Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var item in channel.Reader.ReadAllAsync(stop.Token))
                    {
                        work(item);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    await stop.CancelAsync(); // the feed would otherwise wait on a full channel forever
                    throw;
                }
            },
            stop.Token)).ToArray();
        long fed = 0;
        try
        {
            await foreach (var item in items.WithCancellation(stop.Token))
            {
                await channel.Writer.WriteAsync(item, stop.Token);
                fed++;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A worker failed: its exception is rethrown below.
        }
        finally
        {
            channel.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Task.WhenAll(workers);
        cancellationToken.ThrowIfCancellationRequested();
        return fed;
    }
}

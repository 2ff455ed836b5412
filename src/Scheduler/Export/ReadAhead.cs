using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Reads a stream on its own task, up to <c>capacity</c> items ahead of its consumer, so reading from the database and
/// writing the export file use two cores instead of taking turns on one. Memory: at most <c>capacity</c> items. An
/// error of the source reaches the consumer as itself; a consumer that stops (an error, a cancel) stops the source.
/// </summary>
public static class ReadAhead
{
    public static async IAsyncEnumerable<T> ReadAheadAsync<T>(
        this IAsyncEnumerable<T> source, int capacity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var item in source.WithCancellation(stop.Token))
                    {
                        await channel.Writer.WriteAsync(item, stop.Token);
                    }

                    channel.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    channel.Writer.TryComplete(e);
                }
            },
            CancellationToken.None);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producer;
        }
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Reads a stream on its own task, up to <c>capacity</c> items ahead of its consumer, so reading from the database and
/// writing the export file use two cores instead of taking turns on one. Items are handed over in chunks (an eighth
/// of the capacity, at most 512): one hand-over per item woke the waiting side for each of a million rows, a thread
/// switch that costs more than the row. Memory: at most <c>capacity</c> items, plus the chunk being filled and the one being read. An
/// error of the source reaches the consumer as itself, after the items read before it; a consumer that stops (an
/// error, a cancel) stops the source.
/// </summary>
public static class ReadAhead
{
    private const int MaxChunk = 512;

    public static async IAsyncEnumerable<T> ReadAheadAsync<T>(
        this IAsyncEnumerable<T> source, int capacity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var chunkSize = Math.Clamp(capacity / 8, 1, MaxChunk);
        var channel = Channel.CreateBounded<List<T>>(
            new BoundedChannelOptions(Math.Max(capacity / chunkSize, 1)) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(() => ProduceAsync(source, chunkSize, channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(cancellationToken))
            {
                foreach (var item in chunk)
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producer;
        }
    }

    private static async Task ProduceAsync<T>(IAsyncEnumerable<T> source, int chunkSize, ChannelWriter<List<T>> writer, CancellationToken stop)
    {
        var chunk = new List<T>(chunkSize);
        Exception? error = null;
        try
        {
            await foreach (var item in source.WithCancellation(stop))
            {
                chunk.Add(item);
                if (chunk.Count == chunkSize)
                {
                    await writer.WriteAsync(chunk, stop);
                    chunk = new List<T>(chunkSize);
                }
            }
        }
        catch (Exception e)
        {
            error = e;
        }

        if (chunk.Count > 0 && !stop.IsCancellationRequested)
        {
            try
            {
                // The items read before the end (or the error) still reach the consumer, ahead of the error.
                await writer.WriteAsync(chunk, stop);
            }
            catch (OperationCanceledException)
            {
                // The consumer stopped: nobody is left to receive them.
            }
        }

        writer.TryComplete(error);
    }
}

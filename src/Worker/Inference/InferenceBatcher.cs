using System.Threading.Channels;
using EfficientNet.Batch.Worker.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// The node-wide batcher of one model session: images from every in-flight shard enter one bounded channel; a single
/// inference loop takes up to the maximum batch or waits at most the configured delay, pads the batch to its bucket,
/// runs it, and routes each output back to the image that asked. Per-node batching in-process, not MassTransit
/// Batch&lt;T&gt;, because one shard message carries hundreds of images and GPU batches mix shards (docs/architecture.md, Decisions).
/// On a multi-GPU node there is one session and one loop per device, all taking batches from the same channel, so a
/// faster or less busy device simply takes more batches.
/// </summary>
public sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly IReadOnlyList<OnnxModelSession> _sessions;
    private readonly TimeSpan _maxWait;
    private readonly Channel<Request> _requests;
    private readonly Task[] _loops;
    private readonly ILogger _logger;

    public InferenceBatcher(IReadOnlyList<OnnxModelSession> sessions, InferenceOptions options, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sessions.Count);
        _sessions = sessions;
        _logger = logger;
        _maxWait = TimeSpan.FromMilliseconds(options.MaxBatchWaitMilliseconds);
        _requests = Channel.CreateBounded<Request>(new BoundedChannelOptions(sessions.Sum(s => s.Buckets.Max) * 4)
        {
            SingleReader = sessions.Count == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loops = sessions
            .Select(session => Task.Factory.StartNew(() => RunLoopAsync(session), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
    }

    /// <summary>The first device's session (every session runs the same model).</summary>
    public OnnxModelSession Session => _sessions[0];

    public IReadOnlyList<OnnxModelSession> Sessions => _sessions;

    /// <summary>Runs one preprocessed image (length <see cref="OnnxModelSession.ImageTensorLength"/>); the tensor is copied, so the caller may reuse it once this returns.</summary>
    public async Task<ModelOutput> InferAsync(float[] tensor, CancellationToken cancellationToken)
    {
        var request = new Request(tensor);
        await _requests.Writer.WriteAsync(request, cancellationToken);
        return await request.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task RunLoopAsync(OnnxModelSession session)
    {
        var reader = _requests.Reader;
        var batch = new List<Request>(session.Buckets.Max);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            await FillBatchAsync(reader, batch, session.Buckets.Max);
            if (batch.Count == 0)
            {
                continue; // another device's loop took them
            }

            try
            {
                RunBatch(session, batch);
            }
            catch (Exception e)
            {
                WorkerLog.BatchFailed(_logger, e, batch.Count);
                foreach (var request in batch)
                {
                    request.Completion.TrySetException(e);
                }
            }
        }
    }

    private async Task FillBatchAsync(ChannelReader<Request> reader, List<Request> batch, int max)
    {
        while (batch.Count < max && reader.TryRead(out var request))
        {
            batch.Add(request);
        }

        if (batch.Count >= max || _maxWait <= TimeSpan.Zero)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_maxWait);
        try
        {
            while (batch.Count < max && await reader.WaitToReadAsync(timeout.Token))
            {
                while (batch.Count < max && reader.TryRead(out var request))
                {
                    batch.Add(request);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // The wait is over: run what we have.
        }
    }

    private static void RunBatch(OnnxModelSession session, List<Request> batch)
    {
        var length = session.ImageTensorLength;
        var bucket = session.Buckets.BucketFor(batch.Count);
        var input = session.InputFor(bucket);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Tensor.AsSpan(0, length).CopyTo(input.Slice(i * length, length));
        }

        input[(batch.Count * length)..].Clear();
        WorkerMetrics.BatchSize.Observe(batch.Count);
        using var timer = WorkerMetrics.InferenceSeconds.WithLabels(session.ExecutionProvider).NewTimer();
        using var stageTimer = WorkerMetrics.InferSeconds.NewTimer();
        var (logits, embedding) = session.Run(bucket);
        var classes = session.NumClasses;
        var embeddingSize = session.EmbeddingSize;
        for (var i = 0; i < batch.Count; i++)
        {
            var probabilities = logits.Span.Slice(i * classes, classes).ToArray();
            if (!session.Spec.Outputs.IsProbabilities)
            {
                ClassScores.SoftmaxInPlace(probabilities);
            }

            var vector = embeddingSize > 0 ? embedding.Span.Slice(i * embeddingSize, embeddingSize).ToArray() : null;
            batch[i].Completion.TrySetResult(new ModelOutput(probabilities, vector));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private sealed class Request(float[] tensor)
    {
        public float[] Tensor { get; } = tensor;
        public TaskCompletionSource<ModelOutput> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

using System.Threading.Channels;
using EfficientNet.Batch.Worker.Hosting;
using EfficientNet.Batch.Worker.Inference;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace EfficientNet.Batch.Worker.Pipeline;

/// <summary>
/// The node-wide batcher of one model session: images from every in-flight shard enter one bounded channel; a single
/// inference loop takes up to the maximum batch or waits at most the configured delay, pads the batch to its bucket,
/// runs it, and routes each output back to the image that asked. Per-node batching in-process, not MassTransit
/// Batch&lt;T&gt;, because one shard message carries hundreds of images and GPU batches mix shards (ARCHITECTURE.md).
/// </summary>
public sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly OnnxModelSession _session;
    private readonly TimeSpan _maxWait;
    private readonly Channel<Request> _requests;
    private readonly Task _loop;
    private readonly ILogger _logger;

    public InferenceBatcher(OnnxModelSession session, InferenceOptions options, ILogger logger)
    {
        _session = session;
        _logger = logger;
        _maxWait = TimeSpan.FromMilliseconds(options.MaxBatchWaitMilliseconds);
        _requests = Channel.CreateBounded<Request>(new BoundedChannelOptions(session.Buckets.Max * 4)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public OnnxModelSession Session => _session;

    /// <summary>Runs one preprocessed image (length <see cref="OnnxModelSession.ImageTensorLength"/>); the tensor is copied, so the caller may reuse it once this returns.</summary>
    public async Task<ModelOutput> InferAsync(float[] tensor, CancellationToken cancellationToken)
    {
        var request = new Request(tensor);
        await _requests.Writer.WriteAsync(request, cancellationToken);
        return await request.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task RunLoopAsync()
    {
        var reader = _requests.Reader;
        var batch = new List<Request>(_session.Buckets.Max);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            await FillBatchAsync(reader, batch);
            try
            {
                RunBatch(batch);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Inference failed for a batch of {Count} images", batch.Count);
                foreach (var request in batch)
                {
                    request.Completion.TrySetException(e);
                }
            }
        }
    }

    private async Task FillBatchAsync(ChannelReader<Request> reader, List<Request> batch)
    {
        var max = _session.Buckets.Max;
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

    private void RunBatch(List<Request> batch)
    {
        var length = _session.ImageTensorLength;
        var bucket = _session.Buckets.BucketFor(batch.Count);
        var input = _session.InputFor(bucket);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Tensor.AsSpan(0, length).CopyTo(input.Slice(i * length, length));
        }

        input[(batch.Count * length)..].Clear();
        WorkerMetrics.BatchSize.Observe(batch.Count);
        using var timer = WorkerMetrics.InferenceSeconds.WithLabels(_session.ExecutionProvider).NewTimer();
        using var stageTimer = WorkerMetrics.StageSeconds.WithLabels("infer").NewTimer();
        var (logits, embedding) = _session.Run(bucket);
        var classes = _session.NumClasses;
        var embeddingSize = _session.EmbeddingSize;
        for (var i = 0; i < batch.Count; i++)
        {
            var probabilities = logits.Span.Slice(i * classes, classes).ToArray();
            if (!_session.Spec.Outputs.IsProbabilities)
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
        await _loop;
    }

    private sealed class Request(float[] tensor)
    {
        public float[] Tensor { get; } = tensor;
        public TaskCompletionSource<ModelOutput> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

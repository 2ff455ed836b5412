using System.Buffers;
using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Worker.Hosting;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Options;
using Prometheus;

namespace EfficientNet.Batch.Worker.Pipeline;

/// <summary>
/// Runs one shard through the node's pipeline: fetch (bounded I/O concurrency) → decode + preprocess (bounded by the
/// node's decode threads) → the model's batcher (shared with every other shard) → top-k and embedding.
/// A bad image becomes an <see cref="ImageFailure"/>; it never fails the shard.
/// A shard of a multi-model pass names several targets (runs) over the same images: each image is fetched and decoded
/// once, then resized, cropped and normalised per model (each exactly as that model's spec says) and run through each
/// model's batcher. A bad image is a failure of every target; a model that fails (to load, or in inference) fails only
/// the targets that use it, reported in their <see cref="TargetOutcome"/>.
/// </summary>
public sealed class ShardProcessor : IDisposable
{
    private readonly ModelRepository _models;
    private readonly ImageStoreCache _stores;
    private readonly PipelineOptions _options;
    private readonly SemaphoreSlim _fetchGate;
    private readonly SemaphoreSlim _decodeGate;

    public ShardProcessor(ModelRepository models, ImageStoreCache stores, IOptions<PipelineOptions> options)
    {
        _models = models;
        _stores = stores;
        _options = options.Value;
        _fetchGate = new SemaphoreSlim(_options.FetchConcurrency);
        _decodeGate = new SemaphoreSlim(_options.EffectiveDecodeParallelism);
    }

    public void Dispose()
    {
        _fetchGate.Dispose();
        _decodeGate.Dispose();
    }

    /// <summary>Every target of a shard over the same <paramref name="items"/>, in the order given.</summary>
    public async Task<IReadOnlyList<TargetOutcome>> ProcessAsync(
        IReadOnlyList<ShardTarget> targets, IReadOnlyList<ShardItem> items, string workerId, CancellationToken cancellationToken)
    {
        var states = new TargetState[targets.Count];
        var models = new Dictionary<string, ModelSlot>(StringComparer.OrdinalIgnoreCase);
        for (var t = 0; t < targets.Count; t++)
        {
            states[t] = new TargetState(targets[t], items.Count);
            try
            {
                foreach (var reference in targets[t].Models)
                {
                    if (!models.TryGetValue(reference.Sha256, out var slot))
                    {
                        slot = new ModelSlot(models.Count, await _models.GetAsync(reference, cancellationToken));
                        models.Add(reference.Sha256, slot);
                    }

                    states[t].Slots.Add(slot);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                states[t].Fail(e);
            }
        }

        var live = states.Where(s => s.Error is null).ToArray();
        if (live.Length > 0)
        {
            var slots = live.SelectMany(s => s.Slots).Distinct().OrderBy(s => s.Index).ToArray();
            var store = _stores.Get(targets[0].Options.ImageSource);
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.ImagesInFlightPerShard, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), parallel, async (i, ct) =>
                await ProcessImageAsync(i, items[i], live, slots, store, ct));
        }

        return states.Select(s => s.Error is { } error
                ? new TargetOutcome(s.Target, null, error)
                : new TargetOutcome(
                    s.Target,
                    new ShardResult(s.Target.RunId, s.Target.ShardId, s.Outcomes.OfType<ImagePrediction>().ToArray(), s.Outcomes.OfType<ImageFailure>().ToArray(), workerId),
                    null))
            .ToArray();
    }

    private async Task ProcessImageAsync(
        int index, ShardItem item, TargetState[] targets, ModelSlot[] slots, IImageStore store, CancellationToken cancellationToken)
    {
        byte[] encoded;
        await _fetchGate.WaitAsync(cancellationToken);
        try
        {
            using var fetchTimer = WorkerMetrics.FetchSeconds.NewTimer();
            encoded = await store.ReadAsync(item.Key, cancellationToken);
        }
        catch (ImageFetchException e)
        {
            FailImage(targets, index, new ImageFailure(item.ImageId, FailureStage.Fetch, e.Message));
            return;
        }
        finally
        {
            _fetchGate.Release();
        }

        var tensors = slots.Select(s => ArrayPool<float>.Shared.Rent(s.Model.Preprocessor.TensorLength)).ToArray();
        try
        {
            await _decodeGate.WaitAsync(cancellationToken);
            try
            {
                using var decodeTimer = WorkerMetrics.DecodeSeconds.NewTimer();
                using var decoded = slots[0].Model.Preprocessor.DecodeShared(encoded);
                for (var s = 0; s < slots.Length; s++)
                {
                    var preprocessor = slots[s].Model.Preprocessor;
                    preprocessor.Preprocess(encoded, decoded, tensors[s].AsSpan(0, preprocessor.TensorLength));
                }
            }
            catch (ImageRejectedException e)
            {
                FailImage(targets, index, new ImageFailure(item.ImageId, e.Stage, e.Reason));
                return;
            }
            finally
            {
                _decodeGate.Release();
            }

            var outputs = new ModelOutput?[slots.Length];
            await Task.WhenAll(slots.Select(async (slot, s) =>
            {
                var users = targets.Where(t => t.Slots.Contains(slot)).ToArray();
                if (users.All(t => t.Error is not null))
                {
                    return;
                }

                try
                {
                    outputs[s] = await slot.Model.Batcher.InferAsync(tensors[s], cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Array.ForEach(users, t => t.Fail(e));
                }
            }));

            foreach (var target in targets.Where(t => t.Error is null))
            {
                target.Outcomes[index] = Predict(item, target, target.Slots.Select(slot => outputs[Array.IndexOf(slots, slot)]!).ToArray());
            }
        }
        finally
        {
            Array.ForEach(tensors, t => ArrayPool<float>.Shared.Return(t));
        }
    }

    private static ImagePrediction Predict(ShardItem item, TargetState target, ModelOutput[] outputs)
    {
        var options = target.Target.Options;
        var probabilities = outputs[0].Probabilities;
        if (target.Target.Ensemble is { } ensemble)
        {
            probabilities = new float[probabilities.Length];
            EnsembleMethod.Combine(ensemble.Method, outputs.Select(o => o.Probabilities).ToArray(), probabilities);
        }

        var (indices, top) = ClassScores.TopK(probabilities, options.TopK);
        return new ImagePrediction(
            item.ImageId,
            indices,
            top,
            options.StoreEmbeddings ? outputs[0].Embedding : null,
            options.StoreFullDistribution ? probabilities : null);
    }

    private static void FailImage(TargetState[] targets, int index, ImageFailure failure)
    {
        foreach (var target in targets)
        {
            target.Outcomes[index] = failure;
        }
    }

    /// <summary>One loaded model of the shard, shared by the targets that use it (its tensor is computed once per image).</summary>
    private sealed record ModelSlot(int Index, LoadedModel Model);

    private sealed class TargetState(ShardTarget target, int items)
    {
        private Exception? _error;

        public ShardTarget Target { get; } = target;

        public List<ModelSlot> Slots { get; } = [];

        public object?[] Outcomes { get; } = new object?[items];

        public Exception? Error => Volatile.Read(ref _error);

        public void Fail(Exception error) => Interlocked.CompareExchange(ref _error, error, null);
    }
}

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

    public async Task<ShardResult> ProcessAsync(ProcessShard shard, string workerId, CancellationToken cancellationToken)
    {
        var model = await _models.GetAsync(shard.Model, cancellationToken);
        var store = _stores.Get(shard.Options.ImageSource);
        var outcomes = new object[shard.Items.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = _options.ImagesInFlightPerShard,
            CancellationToken = cancellationToken,
        };

        await Parallel.ForEachAsync(Enumerable.Range(0, shard.Items.Count), parallel, async (i, ct) =>
            outcomes[i] = await ProcessImageAsync(shard.Items[i], shard.Options, model, store, ct));

        return new ShardResult(
            shard.RunId,
            shard.ShardId,
            outcomes.OfType<ImagePrediction>().ToArray(),
            outcomes.OfType<ImageFailure>().ToArray(),
            workerId);
    }

    private async Task<object> ProcessImageAsync(
        ShardItem item, ShardOptions options, LoadedModel model, IImageStore store, CancellationToken cancellationToken)
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
            return new ImageFailure(item.ImageId, FailureStage.Fetch, e.Message);
        }
        finally
        {
            _fetchGate.Release();
        }

        var tensor = ArrayPool<float>.Shared.Rent(model.Preprocessor.TensorLength);
        try
        {
            await _decodeGate.WaitAsync(cancellationToken);
            try
            {
                using var decodeTimer = WorkerMetrics.DecodeSeconds.NewTimer();
                model.Preprocessor.Preprocess(encoded, tensor.AsSpan(0, model.Preprocessor.TensorLength));
            }
            catch (ImageRejectedException e)
            {
                return new ImageFailure(item.ImageId, e.Stage, e.Reason);
            }
            finally
            {
                _decodeGate.Release();
            }

            var output = await model.Batcher.InferAsync(tensor, cancellationToken);
            var (indices, probabilities) = ClassScores.TopK(output.Probabilities, options.TopK);
            return new ImagePrediction(
                item.ImageId,
                indices,
                probabilities,
                options.StoreEmbeddings ? output.Embedding : null,
                options.StoreFullDistribution ? output.Probabilities : null);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tensor);
        }
    }
}

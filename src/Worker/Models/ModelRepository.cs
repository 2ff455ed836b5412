using System.Collections.Concurrent;
using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Worker.Hosting;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Worker.Models;

/// <summary>
/// Loads each model once per process (keyed by its SHA-256) and keeps it for every shard that names it. The model
/// file comes from <see cref="ModelFileCache"/> (local, or downloaded once and verified). A load that failed for a
/// reason worth retrying (storage unreachable) is forgotten, so the next shard tries again; a
/// <see cref="ModelSpecException"/> (wrong hash, bad spec) is kept: it would fail the same way.
/// </summary>
public sealed class ModelRepository(
    ModelFileCache cache,
    IOptions<InferenceOptions> inference,
    IOptions<PreprocessingOptions> preprocessing,
    ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new(StringComparer.OrdinalIgnoreCase);

    public async Task<LoadedModel> GetAsync(ModelReference reference, CancellationToken cancellationToken)
    {
        var load = _models.GetOrAdd(reference.Sha256, _ => new Lazy<Task<LoadedModel>>(() => LoadAsync(reference)));
        try
        {
            return await load.Value.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (load.Value.IsFaulted && e is not ModelSpecException)
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(reference.Sha256, load));
            throw;
        }
    }

    private async Task<LoadedModel> LoadAsync(ModelReference reference)
    {
        // Not the caller's token: the load is shared by every shard of the model and outlives any one of them.
        var path = await cache.GetAsync(reference.Uri, reference.Sha256, CancellationToken.None);
        return Load(path, inference.Value, preprocessing.Value, loggers);
    }

    /// <summary>Loads a model file and its spec without a run (CLI validation, tests, benchmarks).</summary>
    public static LoadedModel Load(string modelPath, InferenceOptions inference, PreprocessingOptions preprocessing, ILoggerFactory loggers)
    {
        var spec = ModelSpecFile.Load(ModelSpecFile.SpecPathFor(modelPath));
        var logger = loggers.CreateLogger<InferenceBatcher>();
        var sessions = new List<OnnxModelSession>();
        try
        {
            // One session per configured GPU (one in all on CPU); each device loads and probes on its own.
            foreach (var deviceId in inference.EffectiveDeviceIds)
            {
                sessions.Add(new OnnxModelSession(modelPath, spec, inference, logger, deviceId));
                if (sessions[^1].ExecutionProvider == "CPU")
                {
                    break; // CUDA did not load (Auto): a second CPU session would only split the same cores
                }
            }
        }
        catch
        {
            sessions.ForEach(s => s.Dispose());
            throw;
        }

        foreach (var session in sessions)
        {
            WorkerMetrics.ExecutionProvider.WithLabels(spec.Name, session.ExecutionProvider).Set(1);
        }

        return new LoadedModel(new ImagePreprocessor(spec, preprocessing), new InferenceBatcher(sessions, inference, logger));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var model in _models.Values.Where(m => m.IsValueCreated))
        {
            try
            {
                await (await model.Value).DisposeAsync();
            }
            catch (Exception)
            {
                // A model that failed to load has nothing to dispose.
            }
        }
    }
}

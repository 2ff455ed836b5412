using System.Collections.Concurrent;
using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Pipeline;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Worker.Models;

/// <summary>
/// Loads each model once per process (keyed by its SHA-256) and keeps it for every shard that names it.
/// </summary>
public sealed class ModelRepository(
    IOptions<InferenceOptions> inference,
    IOptions<PreprocessingOptions> preprocessing,
    ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new(StringComparer.OrdinalIgnoreCase);

    public Task<LoadedModel> GetAsync(ModelReference reference, CancellationToken cancellationToken) =>
        _models.GetOrAdd(reference.Sha256, _ => new Lazy<Task<LoadedModel>>(() => LoadAsync(reference))).Value
            .WaitAsync(cancellationToken);

    private async Task<LoadedModel> LoadAsync(ModelReference reference)
    {
        var path = ModelFiles.ResolveLocalPath(reference.Uri);
        await ModelFiles.VerifyAsync(path, reference.Sha256, CancellationToken.None);
        return Load(path, inference.Value, preprocessing.Value, loggers);
    }

    /// <summary>Loads a model file and its spec without a run (CLI validation, tests, benchmarks).</summary>
    public static LoadedModel Load(string modelPath, InferenceOptions inference, PreprocessingOptions preprocessing, ILoggerFactory loggers)
    {
        var spec = ModelSpecFile.Load(ModelSpecFile.SpecPathFor(modelPath));
        var logger = loggers.CreateLogger<InferenceBatcher>();
        var session = new OnnxModelSession(modelPath, spec, inference, logger);
        return new LoadedModel(new ImagePreprocessor(spec, preprocessing), new InferenceBatcher(session, inference, logger));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var model in _models.Values.Where(m => m.IsValueCreated))
        {
            try
            {
                await (await model.Value).DisposeAsync();
            }
            catch (ModelSpecException)
            {
                // A model that failed to load has nothing to dispose.
            }
        }
    }
}

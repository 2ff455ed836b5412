using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Preprocessing;

namespace EfficientNet.Batch.Worker.Models;

/// <summary>A model ready to serve shards: its preprocessing and its batcher (which owns the ONNX session).</summary>
public sealed class LoadedModel(ImagePreprocessor preprocessor, InferenceBatcher batcher) : IAsyncDisposable
{
    public ImagePreprocessor Preprocessor { get; } = preprocessor;

    public InferenceBatcher Batcher { get; } = batcher;

    public OnnxModelSession Session => Batcher.Session;

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync();
        foreach (var session in Batcher.Sessions)
        {
            session.Dispose();
        }
    }
}

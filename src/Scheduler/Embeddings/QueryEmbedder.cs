using System.Security.Cryptography;
using System.Text.Json;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// Embeds a new image the way a run embedded its own: the run's model file (checked against the SHA-256 the run
/// recorded), the spec the run stored, and the Worker's own <see cref="ImagePreprocessor"/> and
/// <see cref="OnnxModelSession"/>, on the CPU.
/// </summary>
public static class QueryEmbedder
{
    /// <exception cref="ImageRejectedException">The file does not decode as an image.</exception>
    /// <exception cref="IndexMismatchException">The model file is missing or is not the run's model.</exception>
    public static float[] Embed(ModelInfo model, byte[] encoded, PreprocessingOptions preprocessing)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(model.Uri))
        {
            throw new IndexMismatchException($"model file of {model.Name} not found at {model.Uri}: a query image is embedded by the run's own model");
        }

        using (var file = File.OpenRead(model.Uri))
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(file));
            if (!string.Equals(sha, model.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new IndexMismatchException($"model file {model.Uri} changed since the run (sha256 {sha[..12]}…, the run used {model.Sha256[..12]}…)");
            }
        }

        var spec = JsonSerializer.Deserialize<ModelSpec>(model.SpecJson, ModelSpecFile.JsonOptions)
            ?? throw new IndexMismatchException($"model {model.Name} has no stored spec");
        var preprocessor = new ImagePreprocessor(spec, preprocessing);
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Preprocess(encoded, tensor);
        using var session = new OnnxModelSession(
            model.Uri, spec, new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = 1 }, NullLogger.Instance);
        tensor.CopyTo(session.InputFor(1));
        return session.Run(1).Embedding.ToArray();
    }
}

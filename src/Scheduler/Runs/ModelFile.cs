using System.Security.Cryptography;
using System.Text;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>A model file read for planning: its spec (loaded and validated), the SHA-256 of its bytes, and its labels.</summary>
public sealed record ModelFile(ModelSpec Spec, string SpecJson, string Sha256, IReadOnlyList<string>? Labels)
{
    /// <exception cref="ModelSpecException">The spec beside the model is missing or invalid.</exception>
    public static async Task<ModelFile> ReadAsync(string localModelPath, CancellationToken cancellationToken)
    {
        var specPath = ModelSpecFile.SpecPathFor(localModelPath);
        var spec = ModelSpecFile.Load(specPath);
        var sha256 = await ModelFiles.Sha256Async(localModelPath, cancellationToken);
        return new ModelFile(spec, File.ReadAllText(specPath), sha256, ModelSpecFile.LoadLabels(spec, specPath));
    }

    /// <summary>SHA-256 of the class names, one per line; null for a model without a label file.</summary>
    public string? LabelsSha256 => Labels is null ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Labels))));

    /// <summary>Registers the model (once per SHA-256) under the URI workers load it from; its id.</summary>
    public Task<long> RegisterAsync(IRunPlanStore runs, string uri, CancellationToken cancellationToken) =>
        runs.EnsureModelAsync(Spec.Name, uri, Sha256, SpecJson, Labels, cancellationToken);
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// What an index file was built from, written beside it as <c>FILE.json</c>: the run, the model (name and SHA-256),
/// the dimension and metric, and the graph settings. An index answers only queries of that model and dimension.
/// </summary>
public sealed record IndexManifest(
    string Format,
    Guid RunId,
    string RunName,
    string ModelName,
    string ModelSha256,
    int Dimensions,
    string Metric,
    string Precision,
    long Count,
    int Connectivity,
    int ExpansionAdd,
    int ExpansionSearch,
    DateTimeOffset CreatedAt)
{
    public const string CurrentFormat = "enb-usearch-1";
    public const string CosineMetric = "cosine";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>The manifest's path for an index file.</summary>
    public static string PathFor(string indexPath) => indexPath + ".json";

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads the manifest of an index file; an <see cref="IndexMismatchException"/> when it is missing or unreadable.</summary>
    public static IndexManifest Read(string indexPath)
    {
        var path = PathFor(indexPath);
        if (!File.Exists(path))
        {
            throw new IndexMismatchException($"index {indexPath} has no manifest ({path}): rebuild it with 'enb index build'");
        }

        IndexManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<IndexManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new IndexMismatchException($"index manifest {path} is not valid JSON: {e.Message}");
        }

        return manifest is { Format: CurrentFormat, Metric: CosineMetric }
            ? manifest
            : throw new IndexMismatchException($"index manifest {path} is not an {CurrentFormat} cosine index: rebuild it with 'enb index build'");
    }

    /// <summary>Refuses a query from another model or of another dimension (one line naming both sides).</summary>
    public void EnsureServes(string modelSha256, int dimensions)
    {
        if (!string.Equals(ModelSha256, modelSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new IndexMismatchException(
                $"index of run {RunName} was built for model {ModelName} (sha256 {Short(ModelSha256)}…), not for model sha256 {Short(modelSha256)}…");
        }

        if (Dimensions != dimensions)
        {
            throw new IndexMismatchException($"dimension mismatch: index of run {RunName} holds {Dimensions}-d embeddings, the query has {dimensions}");
        }
    }

    private static string Short(string sha) => sha[..Math.Min(12, sha.Length)];
}

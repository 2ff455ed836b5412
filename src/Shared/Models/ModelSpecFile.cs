using System.Text.Json;
using System.Text.Json.Serialization;

namespace EfficientNet.Batch.Models;

/// <summary>Reads and writes model specs: the JSON file that sits beside each ONNX model.</summary>
public static class ModelSpecFile
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The spec path for a model: <c>dir/name.onnx</c> → <c>dir/name.json</c>.</summary>
    public static string SpecPathFor(string modelPath) => Path.ChangeExtension(modelPath, ".json");

    public static ModelSpec Load(string specPath)
    {
        if (!File.Exists(specPath))
        {
            throw new ModelSpecException($"model spec not found: {specPath} (every model.onnx needs a model.json beside it; tools/export_model.py writes one)");
        }

        ModelSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<ModelSpec>(File.ReadAllText(specPath), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ModelSpecException($"model spec {specPath} is not valid: {e.Message}", e);
        }

        if (spec is null)
        {
            throw new ModelSpecException($"model spec {specPath} is empty");
        }

        Validate(spec, specPath);
        return spec;
    }

    public static void Save(ModelSpec spec, string specPath) =>
        File.WriteAllText(specPath, JsonSerializer.Serialize(spec, JsonOptions));

    /// <summary>Reads the labels file named by the spec, or returns null when the spec names none.</summary>
    public static IReadOnlyList<string>? LoadLabels(ModelSpec spec, string specPath)
    {
        if (spec.Labels is null)
        {
            return null;
        }

        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath))!, spec.Labels);
        if (!File.Exists(path))
        {
            throw new ModelSpecException($"labels file named by {specPath} not found: {path}");
        }

        return File.ReadAllLines(path).Where(line => line.Length > 0).ToArray();
    }

    public static void Validate(ModelSpec spec, string source)
    {
        var p = spec.Preprocess;
        var errors = new List<string>();
        if (spec.Input.Width <= 0 || spec.Input.Height <= 0) errors.Add("input.width and input.height must be positive");
        if (p.ResizeShortSide <= 0) errors.Add("preprocess.resizeShortSide must be positive");
        if (p.CropWidth != spec.Input.Width || p.CropHeight != spec.Input.Height)
        {
            errors.Add($"preprocess crop {p.CropWidth}x{p.CropHeight} must equal the input size {spec.Input.Width}x{spec.Input.Height}");
        }

        if (p.Mean.Length != 3 || p.Std.Length != 3) errors.Add("preprocess.mean and preprocess.std need 3 values (R, G, B)");
        if (p.Std.Any(s => s <= 0)) errors.Add("preprocess.std values must be positive");
        if (p.Scale <= 0) errors.Add("preprocess.scale must be positive");
        if (string.IsNullOrWhiteSpace(spec.Outputs.Logits)) errors.Add("outputs.logits must name the class-score output");
        if (errors.Count > 0)
        {
            throw new ModelSpecException($"model spec {source} is invalid: {string.Join("; ", errors)}");
        }
    }
}

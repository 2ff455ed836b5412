namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>The runs of a multi-model pass: one request per model, named after the pass and the model's file.</summary>
public static class PassRequests
{
    /// <summary>
    /// One request per model in <paramref name="modelPaths"/> (paths or URIs). A single model keeps
    /// <paramref name="template"/>'s name; several get <c>&lt;name&gt;-&lt;model file name&gt;</c>, so that each run is
    /// found by name (a file name given twice is numbered).
    /// </summary>
    public static IReadOnlyList<RunRequest> For(RunRequest template, IReadOnlyList<string> modelPaths)
    {
        if (modelPaths.Count == 1)
        {
            return [template with { ModelPath = modelPaths[0] }];
        }

        var names = modelPaths.Select(ModelName).ToArray();
        return modelPaths.Select((path, i) => template with
        {
            Name = names.Count(n => n == names[i]) > 1 ? $"{template.Name}-{names[i]}-{i + 1}" : $"{template.Name}-{names[i]}",
            ModelPath = path,
        }).ToArray();
    }

    private static string ModelName(string pathOrUri) =>
        Path.GetFileNameWithoutExtension(pathOrUri.TrimEnd('/', Path.DirectorySeparatorChar)) is { Length: > 0 } name ? name : "model";
}

namespace EfficientNet.Batch.Models;

/// <summary>
/// The contract between an ONNX image classifier and the pipeline: a JSON file beside the model
/// (<c>model.onnx</c> → <c>model.json</c>). See docs/model-spec.md for the format.
/// </summary>
public sealed record ModelSpec
{
    public required string Name { get; init; }
    public required ModelInputSpec Input { get; init; }
    public required PreprocessSpec Preprocess { get; init; }
    public ModelOutputSpec Outputs { get; init; } = new();

    /// <summary>Class names, one per line, relative to the spec file. Optional: without it labels are printed as indices.</summary>
    public string? Labels { get; init; }

    /// <summary>True when the weights are random (test models): the CLI warns that labels are meaningless.</summary>
    public bool RandomWeights { get; init; }
}

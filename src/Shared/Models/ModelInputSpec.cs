namespace EfficientNet.Batch.Models;

/// <summary>The model's image input: its ONNX name, layout and spatial size.</summary>
public sealed record ModelInputSpec
{
    public string Name { get; init; } = "input";
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;
    public required int Width { get; init; }
    public required int Height { get; init; }
}

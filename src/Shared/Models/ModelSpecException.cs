namespace EfficientNet.Batch.Models;

/// <summary>A model file or its spec is missing, malformed, or does not match the ONNX graph. The message names the mismatch.</summary>
public sealed class ModelSpecException : Exception
{
    public ModelSpecException(string message) : base(message) { }
    public ModelSpecException(string message, Exception inner) : base(message, inner) { }
}

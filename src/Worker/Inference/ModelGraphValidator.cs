using EfficientNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>Checks that an ONNX graph has the inputs and outputs its spec promises, and names the first mismatch.</summary>
internal static class ModelGraphValidator
{
    /// <summary>The graph's class count, embedding width and tensor element type (float32 or float16, the same for input and outputs).</summary>
    public static (int Classes, int EmbeddingSize, TensorElementType ElementType) Validate(InferenceSession session, ModelSpec spec, string modelPath)
    {
        string Fail(string what) => throw new ModelSpecException($"model {Path.GetFileName(modelPath)} does not match its spec: {what}");

        if (!session.InputMetadata.TryGetValue(spec.Input.Name, out var input))
        {
            Fail($"input '{spec.Input.Name}' not found (the graph has: {string.Join(", ", session.InputMetadata.Keys)})");
        }

        var elementType = input!.ElementDataType;
        if (elementType is not (TensorElementType.Float or TensorElementType.Float16))
        {
            Fail($"input '{spec.Input.Name}' is {elementType}, expected float32 or float16");
        }

        var dims = input.Dimensions;
        if (dims.Length != 4)
        {
            Fail($"input '{spec.Input.Name}' has rank {dims.Length}, expected 4 ({spec.Input.Layout})");
        }

        var (c, h, w) = spec.Input.Layout == TensorLayout.Nchw ? (dims[1], dims[2], dims[3]) : (dims[3], dims[1], dims[2]);
        if (c > 0 && c != 3) Fail($"input '{spec.Input.Name}' has {c} channels in layout {spec.Input.Layout}, expected 3");
        if (h > 0 && h != spec.Input.Height) Fail($"input height is {h}, the spec says {spec.Input.Height}");
        if (w > 0 && w != spec.Input.Width) Fail($"input width is {w}, the spec says {spec.Input.Width}");
        if (dims[0] > 0)
        {
            Fail($"input '{spec.Input.Name}' has a fixed batch size {dims[0]}; export it with a dynamic batch axis");
        }

        var classes = OutputWidth(session, spec.Outputs.Logits, "outputs.logits", elementType, Fail);
        var embedding = spec.Outputs.Embedding is { } name ? OutputWidth(session, name, "outputs.embedding", elementType, Fail) : 0;
        return (classes, embedding, elementType);
    }

    private static int OutputWidth(InferenceSession session, string name, string key, TensorElementType elementType, Func<string, string> fail)
    {
        if (!session.OutputMetadata.TryGetValue(name, out var output))
        {
            fail($"{key} names '{name}' but the graph's outputs are: {string.Join(", ", session.OutputMetadata.Keys)}");
        }

        if (output!.ElementDataType != elementType)
        {
            fail($"output '{name}' is {output.ElementDataType}, expected {elementType} like the input");
        }

        if (output.Dimensions.Length != 2 || output.Dimensions[1] <= 0)
        {
            fail($"output '{name}' has shape [{string.Join(",", output.Dimensions)}], expected [batch, n] with a fixed n");
        }

        return output.Dimensions[1];
    }
}

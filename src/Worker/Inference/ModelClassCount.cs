using EfficientNet.Batch.Models;
using Microsoft.ML.OnnxRuntime;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>Reads a model's class count from its graph (a CPU session, opened and closed), checking the graph against its spec.</summary>
public static class ModelClassCount
{
    /// <exception cref="ModelSpecException">The file is not a loadable ONNX model, or its graph does not match the spec.</exception>
    public static int Read(string modelPath, ModelSpec spec)
    {
        try
        {
            using var session = new InferenceSession(modelPath);
            return ModelGraphValidator.Validate(session, spec, modelPath).Classes;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSpecException($"model {Path.GetFileName(modelPath)} could not be loaded: {e.Message}");
        }
    }
}

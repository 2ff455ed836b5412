using EfficientNet.Batch.Models;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>Opens a model's session on CUDA device deviceId; throws what ONNX Runtime throws when CUDA is unusable.</summary>
internal delegate InferenceSession CudaSessionFactory(string modelPath, InferenceOptions options, int deviceId);

/// <summary>
/// Opens a model's <see cref="InferenceSession"/> on the configured execution provider. CUDA fails in one of two places:
/// appending the provider (its libraries do not load) or creating the session (libraries present but no usable device
/// or driver, as in a CUDA image run with NVIDIA_VISIBLE_DEVICES=void). Either way the model is then opened on CPU: if
/// that fails too, the model is at fault (<see cref="ModelSpecException"/>); otherwise Auto runs on CPU and logs why,
/// and Cuda fails with CUDA's reason.
/// </summary>
internal static class InferenceSessionOpener
{
    public static (InferenceSession Session, string Provider) Open(
        string modelPath, InferenceOptions options, int deviceId, ILogger logger, CudaSessionFactory? openOnCuda = null)
    {
        Exception? cudaFailure = null;
        if (options.ExecutionProvider != ExecutionProviderPreference.Cpu)
        {
            try
            {
                return ((openOnCuda ?? OpenOnCuda)(modelPath, options, deviceId), $"CUDA:{deviceId}");
            }
            // GetAvailableProviders() lists CUDA even without a GPU: only opening a session on it tells.
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                cudaFailure = e;
            }
        }

        var session = OpenOnCpu(modelPath, options);
        if (cudaFailure is not null)
        {
            var reason = FirstLine(cudaFailure.Message);
            if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
            {
                session.Dispose();
                throw new InvalidOperationException(
                    $"Inference:ExecutionProvider is Cuda but ONNX Runtime could not use CUDA device {deviceId}: {reason}", cudaFailure);
            }

            logger.LogInformation("CUDA execution provider unusable on device {DeviceId} ({Reason}); running on CPU", deviceId, reason);
        }

        return (session, "CPU");
    }

    private static InferenceSession OpenOnCuda(string modelPath, InferenceOptions options, int deviceId)
    {
        using var sessionOptions = SessionOptionsFactory.CreateCuda(options, deviceId);
        return new InferenceSession(modelPath, sessionOptions);
    }

    private static InferenceSession OpenOnCpu(string modelPath, InferenceOptions options)
    {
        using var sessionOptions = SessionOptionsFactory.CreateCpu(options);
        try
        {
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSpecException($"model {modelPath} could not be loaded by ONNX Runtime: {e.Message}", e);
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).Trim();
    }
}

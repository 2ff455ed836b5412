using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// Builds ONNX Runtime session options: CUDA (with the configured provider options) when asked and available, CPU
/// otherwise. Thread counts are always explicit: ORT's defaults count host cores and ignore cgroup limits.
/// </summary>
internal static class SessionOptionsFactory
{
    private static readonly Lazy<OrtEnv> Environment = new(() =>
    {
        // ORT's default logger prints a multi-line native error when the CUDA provider library does not load; we
        // report that outcome ourselves in one line, so the environment logs only fatal errors.
        var options = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, logId = "efficientnet-batch" };
        return OrtEnv.CreateInstanceWithOptions(ref options);
    });

    public static SessionOptions Create(InferenceOptions options, int deviceId, ILogger logger, out string provider)
    {
        _ = Environment.Value;
        if (options.ExecutionProvider != ExecutionProviderPreference.Cpu)
        {
            var cuda = CreateBase(options);
            try
            {
                using var cudaOptions = new OrtCUDAProviderOptions();
                cudaOptions.UpdateOptions(options.CudaProviderOptions(deviceId));
                cuda.AppendExecutionProvider_CUDA(cudaOptions);
                provider = $"CUDA:{deviceId}";
                return cuda;
            }
            // GetAvailableProviders() lists CUDA even without a GPU (ENVIRONMENT.md): only loading the provider tells.
            // Without CUDA 13/cuDNN 9 this throws OnnxRuntimeException ("Failed to load shared library"); the
            // CPU-only native package throws EntryPointNotFoundException.
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                cuda.Dispose();
                if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
                {
                    throw new InvalidOperationException(
                        $"Inference:ExecutionProvider is Cuda but the CUDA provider did not load: {FirstLine(e.Message)}", e);
                }

                logger.LogInformation("CUDA execution provider unavailable ({Reason}); running on CPU", FirstLine(e.Message));
            }
        }

        provider = "CPU";
        return CreateBase(options);
    }

    private static SessionOptions CreateBase(InferenceOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.EffectiveIntraOpThreads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };

        // Idle intra-op threads spin by default, burning the cores that decode needs while the batcher waits.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        return sessionOptions;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).Trim();
    }
}

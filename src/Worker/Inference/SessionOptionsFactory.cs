using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// Builds ONNX Runtime session options for CUDA (with the configured provider options) or CPU. Thread counts are
/// always explicit: ORT's defaults count host cores and ignore cgroup limits.
/// </summary>
internal static class SessionOptionsFactory
{
    private static readonly Lazy<OrtEnv> Environment = new(() =>
    {
        // ORT's default logger prints a multi-line native error when the CUDA provider library does not load; we
        // report that outcome ourselves in one line, so the environment logs only fatal errors.
        var options = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, logId = "efficientnet-batch" };
        try
        {
            return OrtEnv.CreateInstanceWithOptions(ref options);
        }
        catch (OnnxRuntimeException) when (OrtEnv.IsCreated)
        {
            // The environment is one per process and something in it created one first: use that (its log level).
            return OrtEnv.Instance();
        }
    });

    /// <summary>
    /// Options with the CUDA provider appended. Throws when the provider cannot load: OnnxRuntimeException ("Failed to
    /// load shared library") without CUDA 13/cuDNN 9, EntryPointNotFoundException with a CPU-only native package.
    /// </summary>
    public static SessionOptions CreateCuda(InferenceOptions options, int deviceId)
    {
        var cuda = CreateCpu(options);
        try
        {
            using var cudaOptions = new OrtCUDAProviderOptions();
            cudaOptions.UpdateOptions(options.CudaProviderOptions(deviceId));
            cuda.AppendExecutionProvider_CUDA(cudaOptions);
            return cuda;
        }
        catch
        {
            cuda.Dispose();
            throw;
        }
    }

    public static SessionOptions CreateCpu(InferenceOptions options)
    {
        _ = Environment.Value;
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
}

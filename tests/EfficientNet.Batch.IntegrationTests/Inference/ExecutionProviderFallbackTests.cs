using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Inference;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EfficientNet.Batch.IntegrationTests.Inference;

/// <summary>
/// CUDA that loads but cannot open a session (a CUDA image on a node without a usable GPU or driver, e.g. the chart's
/// CPU workers with NVIDIA_VISIBLE_DEVICES=void): Auto must run on CPU and say why once, Cuda must fail naming the
/// reason, and a model that ONNX Runtime cannot load on any device must still be reported as the model's problem.
/// The CUDA attempt is replaced by one that fails with a genuine ONNX Runtime error from session creation.
/// </summary>
public sealed class ExecutionProviderFallbackTests
{
    private static readonly ModelSpec Spec = ModelSpecFile.Load(ModelSpecFile.SpecPathFor(TestPaths.TestModel));

    private static InferenceOptions Options(ExecutionProviderPreference provider) =>
        new() { ExecutionProvider = provider, BatchSize = 1, IntraOpThreads = 1 };

    private static InferenceSession NoUsableGpu(string modelPath, InferenceOptions options, int deviceId) =>
        new("not an onnx model"u8.ToArray());

    private static string CudaReason => Assert.Throws<OnnxRuntimeException>(() => NoUsableGpu("", new(), 0)).Message.Split('\n')[0].Trim();

    [Fact]
    public void Auto_falls_back_to_cpu_when_the_cuda_session_cannot_be_created_and_logs_why_once()
    {
        var log = new RecordingLogger();

        using var session = new OnnxModelSession(TestPaths.TestModel, Spec, Options(ExecutionProviderPreference.Auto), log, deviceId: 0, NoUsableGpu);

        Assert.Equal("CPU", session.ExecutionProvider);
        var fallback = Assert.Single(log.Messages, m => m.Contains("CUDA", StringComparison.Ordinal));
        Assert.Contains(CudaReason, fallback, StringComparison.Ordinal);
        Assert.Contains("running on CPU", fallback, StringComparison.Ordinal);
        var (logits, _) = session.Run(1);
        Assert.Equal(session.NumClasses, logits.Length); // the CPU session it fell back to runs
    }

    [Fact]
    public void Cuda_fails_naming_the_reason_when_the_cuda_session_cannot_be_created()
    {
        var log = new RecordingLogger();

        var error = Assert.Throws<InvalidOperationException>(
            () => new OnnxModelSession(TestPaths.TestModel, Spec, Options(ExecutionProviderPreference.Cuda), log, deviceId: 1, NoUsableGpu));

        Assert.StartsWith("Inference:ExecutionProvider is Cuda but ONNX Runtime could not use CUDA device 1: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(CudaReason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Messages, m => m.Contains("running on CPU", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ExecutionProviderPreference.Auto)]
    [InlineData(ExecutionProviderPreference.Cuda)]
    public void A_corrupt_model_is_reported_as_the_models_problem_not_hidden_by_the_fallback(ExecutionProviderPreference provider)
    {
        using var folder = new TempDirectory();
        var corrupt = Path.Combine(folder.Path, "corrupt.onnx");
        var bytes = File.ReadAllBytes(TestPaths.TestModel);
        File.WriteAllBytes(corrupt, bytes[..(bytes.Length / 2)]);
        var log = new RecordingLogger();

        var error = Assert.Throws<ModelSpecException>(() => new OnnxModelSession(corrupt, Spec, Options(provider), log, deviceId: 0, NoUsableGpu));

        Assert.StartsWith($"model {corrupt} could not be loaded by ONNX Runtime: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Messages, m => m.Contains("running on CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void Cpu_never_tries_cuda()
    {
        var tried = false;

        using var session = new OnnxModelSession(
            TestPaths.TestModel, Spec, Options(ExecutionProviderPreference.Cpu), new RecordingLogger(), deviceId: 0, (path, options, device) =>
            {
                tried = true;
                return NoUsableGpu(path, options, device);
            });

        Assert.False(tried);
        Assert.Equal("CPU", session.ExecutionProvider);
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }
}

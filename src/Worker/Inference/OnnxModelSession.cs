using EfficientNet.Batch.Models;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// One loaded ONNX classifier: validates the graph against its <see cref="ModelSpec"/>, and runs fixed-shape batches
/// through preallocated input/output OrtValues (one set per batch bucket, created on first use).
/// <see cref="Run"/> is called by a single inference loop (the batcher), which owns the buffers.
/// </summary>
public sealed class OnnxModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly Dictionary<int, BucketBuffers> _buffers = [];
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    public OnnxModelSession(string modelPath, ModelSpec spec, InferenceOptions options, ILogger logger)
    {
        if (!File.Exists(modelPath))
        {
            throw new ModelSpecException($"model file not found: {modelPath}");
        }

        Spec = spec;
        Buckets = new BatchBuckets(options.BatchSize);
        using var sessionOptions = SessionOptionsFactory.Create(options, logger, out var provider);
        try
        {
            _session = new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelSpecException($"model {modelPath} could not be loaded by ONNX Runtime: {e.Message}", e);
        }

        ExecutionProvider = provider;
        try
        {
            (NumClasses, EmbeddingSize) = ModelGraphValidator.Validate(_session, spec, modelPath);
        }
        catch
        {
            _session.Dispose();
            throw;
        }

        _inputNames = [spec.Input.Name];
        _outputNames = spec.Outputs.Embedding is { } embedding ? [spec.Outputs.Logits, embedding] : [spec.Outputs.Logits];
        logger.LogInformation(
            "Loaded model {Model} on {ExecutionProvider} ({IntraOpThreads} intra-op threads, batch buckets {Buckets}, {Classes} classes, embedding {EmbeddingSize})",
            spec.Name, provider, options.EffectiveIntraOpThreads, string.Join(",", Buckets.Sizes), NumClasses, EmbeddingSize);
    }

    public ModelSpec Spec { get; }

    public BatchBuckets Buckets { get; }

    /// <summary>"CPU" or "CUDA:&lt;device&gt;".</summary>
    public string ExecutionProvider { get; }

    public int NumClasses { get; }

    /// <summary>Length of the pooled embedding, or 0 when the model has no embedding output.</summary>
    public int EmbeddingSize { get; }

    public int ImageTensorLength => 3 * Spec.Input.Width * Spec.Input.Height;

    /// <summary>The input buffer of a bucket: fill the first images, the rest is padding.</summary>
    public Span<float> InputFor(int bucket) => Buffers(bucket).Input;

    /// <summary>Runs the bucket's input and returns views of its outputs (valid until the next Run of the same bucket).</summary>
    public (ReadOnlyMemory<float> Logits, ReadOnlyMemory<float> Embedding) Run(int bucket)
    {
        var b = Buffers(bucket);
        _session.Run(_runOptions, _inputNames, b.InputValues, _outputNames, b.OutputValues);
        return (b.Logits, b.Embedding);
    }

    private BucketBuffers Buffers(int bucket)
    {
        if (!_buffers.TryGetValue(bucket, out var buffers))
        {
            buffers = new BucketBuffers(bucket, Spec, NumClasses, EmbeddingSize);
            _buffers[bucket] = buffers;
        }

        return buffers;
    }

    public void Dispose()
    {
        foreach (var buffers in _buffers.Values)
        {
            buffers.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }

    private sealed class BucketBuffers : IDisposable
    {
        public BucketBuffers(int bucket, ModelSpec spec, int classes, int embeddingSize)
        {
            var (w, h) = (spec.Input.Width, spec.Input.Height);
            long[] inputShape = spec.Input.Layout == TensorLayout.Nchw ? [bucket, 3, h, w] : [bucket, h, w, 3];
            Input = new float[bucket * 3 * w * h];
            Logits = new float[bucket * classes];
            Embedding = new float[bucket * embeddingSize];
            InputValues = [OrtValue.CreateTensorValueFromMemory(Input, inputShape)];
            var logits = OrtValue.CreateTensorValueFromMemory(Logits, [bucket, classes]);
            OutputValues = embeddingSize > 0
                ? [logits, OrtValue.CreateTensorValueFromMemory(Embedding, [bucket, embeddingSize])]
                : [logits];
        }

        public float[] Input { get; }
        public float[] Logits { get; }
        public float[] Embedding { get; }
        public OrtValue[] InputValues { get; }
        public OrtValue[] OutputValues { get; }

        public void Dispose()
        {
            foreach (var value in InputValues.Concat(OutputValues))
            {
                value.Dispose();
            }
        }
    }
}

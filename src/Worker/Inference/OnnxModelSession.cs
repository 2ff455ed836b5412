using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using EfficientNet.Batch.Models;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// One loaded ONNX classifier on one device: validates the graph against its <see cref="ModelSpec"/>, and runs
/// fixed-shape batches through preallocated input/output OrtValues (one set per batch bucket, created on first use).
/// float16 models (tools/export_model.py --fp16) take the same float32 staging buffers: the batch is converted into
/// a preallocated float16 input and the outputs back, vectorised, so callers never see the difference.
/// <see cref="Run"/> is called by a single inference loop (the batcher), which owns the buffers.
/// </summary>
public sealed class OnnxModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly Dictionary<int, BucketBuffers> _buffers = [];
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    private readonly bool _half;

    /// <param name="deviceId">The CUDA device of this session (one session per GPU); ignored on CPU.</param>
    public OnnxModelSession(string modelPath, ModelSpec spec, InferenceOptions options, ILogger logger, int? deviceId = null)
        : this(modelPath, spec, options, logger, deviceId, openOnCuda: null)
    {
    }

    /// <param name="openOnCuda">Replaces opening the session on CUDA (tests make it fail as a machine without a usable GPU does).</param>
    internal OnnxModelSession(string modelPath, ModelSpec spec, InferenceOptions options, ILogger logger, int? deviceId, CudaSessionFactory? openOnCuda)
    {
        if (!File.Exists(modelPath))
        {
            throw new ModelSpecException($"model file not found: {modelPath}");
        }

        Spec = spec;
        (_session, var provider) = InferenceSessionOpener.Open(modelPath, options, deviceId ?? options.DeviceId, logger, openOnCuda);
        ExecutionProvider = provider;
        try
        {
            (NumClasses, EmbeddingSize, var elementType) = ModelGraphValidator.Validate(_session, spec, modelPath);
            _half = elementType == TensorElementType.Float16;
            _inputNames = [spec.Input.Name];
            _outputNames = spec.Outputs.Embedding is { } embedding ? [spec.Outputs.Logits, embedding] : [spec.Outputs.Logits];
            Buckets = new BatchBuckets(options.BatchSize > 0 ? options.BatchSize : BatchSizeProbe.Choose(this, logger));
        }
        catch
        {
            Dispose();
            throw;
        }

        logger.LogInformation(
            "Loaded model {Model} ({ElementType}) on {ExecutionProvider} ({IntraOpThreads} intra-op threads, batch buckets {Buckets}, {Classes} classes, embedding {EmbeddingSize})",
            spec.Name, _half ? "float16" : "float32", provider, options.EffectiveIntraOpThreads, string.Join(",", Buckets.Sizes), NumClasses, EmbeddingSize);
    }

    public ModelSpec Spec { get; }

    public BatchBuckets Buckets { get; } = new(1);

    /// <summary>"CPU" or "CUDA:&lt;device&gt;".</summary>
    public string ExecutionProvider { get; }

    public int NumClasses { get; }

    /// <summary>Length of the pooled embedding, or 0 when the model has no embedding output.</summary>
    public int EmbeddingSize { get; }

    public int ImageTensorLength => 3 * Spec.Input.Width * Spec.Input.Height;

    /// <summary>True when the graph takes and returns float16 tensors.</summary>
    public bool IsFloat16 => _half;

    /// <summary>The input buffer of a batch size: fill the first images, the rest is padding.</summary>
    public Span<float> InputFor(int batchSize) => Buffers(batchSize).Input;

    /// <summary>Runs a batch size's input and returns views of its outputs (valid until the next Run of the same size).</summary>
    public (ReadOnlyMemory<float> Logits, ReadOnlyMemory<float> Embedding) Run(int batchSize)
    {
        var b = Buffers(batchSize);
        if (_half)
        {
            TensorPrimitives.ConvertToHalf(b.Input, b.HalfInput);
        }

        _session.Run(_runOptions, _inputNames, b.InputValues, _outputNames, b.OutputValues);
        if (_half)
        {
            TensorPrimitives.ConvertToSingle(b.HalfLogits, b.Logits);
            TensorPrimitives.ConvertToSingle(b.HalfEmbedding, b.Embedding);
        }

        return (b.Logits, b.Embedding);
    }

    /// <summary>Frees the buffers of a batch size that will not run again (the batch size probe's larger candidates).</summary>
    internal void Release(int batchSize)
    {
        if (_buffers.Remove(batchSize, out var buffers))
        {
            buffers.Dispose();
        }
    }

    private BucketBuffers Buffers(int batchSize)
    {
        if (!_buffers.TryGetValue(batchSize, out var buffers))
        {
            buffers = new BucketBuffers(batchSize, Spec, NumClasses, EmbeddingSize, _half);
            _buffers[batchSize] = buffers;
        }

        return buffers;
    }

    public void Dispose()
    {
        foreach (var buffers in _buffers.Values)
        {
            buffers.Dispose();
        }

        _buffers.Clear();
        _runOptions.Dispose();
        _session?.Dispose();
    }

    private sealed class BucketBuffers : IDisposable
    {
        private readonly Float16[] _halfInput = [];
        private readonly Float16[] _halfLogits = [];
        private readonly Float16[] _halfEmbedding = [];

        public BucketBuffers(int bucket, ModelSpec spec, int classes, int embeddingSize, bool half)
        {
            var (w, h) = (spec.Input.Width, spec.Input.Height);
            long[] inputShape = spec.Input.Layout == TensorLayout.Nchw ? [bucket, 3, h, w] : [bucket, h, w, 3];
            long[] logitsShape = [bucket, classes];
            long[] embeddingShape = [bucket, embeddingSize];
            Input = new float[bucket * 3 * w * h];
            Logits = new float[bucket * classes];
            Embedding = new float[bucket * embeddingSize];
            if (half)
            {
                _halfInput = new Float16[Input.Length];
                _halfLogits = new Float16[Logits.Length];
                _halfEmbedding = new Float16[Embedding.Length];
                InputValues = [OrtValue.CreateTensorValueFromMemory(_halfInput, inputShape)];
                OutputValues = Outputs(
                    OrtValue.CreateTensorValueFromMemory(_halfLogits, logitsShape),
                    () => OrtValue.CreateTensorValueFromMemory(_halfEmbedding, embeddingShape));
            }
            else
            {
                InputValues = [OrtValue.CreateTensorValueFromMemory(Input, inputShape)];
                OutputValues = Outputs(
                    OrtValue.CreateTensorValueFromMemory(Logits, logitsShape),
                    () => OrtValue.CreateTensorValueFromMemory(Embedding, embeddingShape));
            }

            OrtValue[] Outputs(OrtValue logits, Func<OrtValue> embedding) => embeddingSize > 0 ? [logits, embedding()] : [logits];
        }

        public float[] Input { get; }
        public float[] Logits { get; }
        public float[] Embedding { get; }

        // ORT's Float16 and System.Half are both the IEEE binary16 bits in a ushort: reinterpreting is exact.
        public Span<Half> HalfInput => MemoryMarshal.Cast<Float16, Half>(_halfInput.AsSpan());
        public Span<Half> HalfLogits => MemoryMarshal.Cast<Float16, Half>(_halfLogits.AsSpan());
        public Span<Half> HalfEmbedding => MemoryMarshal.Cast<Float16, Half>(_halfEmbedding.AsSpan());
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

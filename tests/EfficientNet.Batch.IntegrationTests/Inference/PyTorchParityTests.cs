using System.Text.Json;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;

namespace EfficientNet.Batch.IntegrationTests.Inference;

/// <summary>
/// The committed tiny model, run by ONNX Runtime through our session and batcher, reproduces the logits and
/// embeddings PyTorch computed for the same tensors (tests/assets/reference/outputs.json).
/// </summary>
public sealed class PyTorchParityTests
{
    private const float Tolerance = 1e-3f;

    public static TheoryData<string> Photos() => new(ReferenceOutputs().Keys);

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private static Dictionary<string, ReferenceOutput> ReferenceOutputs() =>
        JsonSerializer.Deserialize<Dictionary<string, ReferenceOutput>>(
            File.ReadAllText(Path.Combine(TestPaths.Reference, "outputs.json")), Json)!;

    [Theory]
    [MemberData(nameof(Photos))]
    public async Task Onnx_runtime_reproduces_pytorch_logits_and_embedding_on_the_reference_tensor(string photo)
    {
        var expected = ReferenceOutputs()[photo];
        await using var model = LoadModel(batchSize: 4);
        var tensor = TensorFromReferenceCrop(Path.Combine(TestPaths.Reference, expected.Crop), model.Session.Spec);

        // Through the batcher, so the padding of a partial batch (1 of bucket 1, but also 3 of bucket 4) is exercised.
        var outputs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => model.Batcher.InferAsync(tensor, CancellationToken.None)));
        foreach (var output in outputs)
        {
            var logits = Logits(output.Probabilities);
            AssertClose(expected.Logits, logits, "logits");
            AssertClose(expected.Embedding, output.Embedding!, "embedding");
            Assert.Equal(expected.Top5, ClassScores.TopK(output.Probabilities, 5).Indices);
        }
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public async Task Our_preprocessing_and_inference_give_pytorchs_top5_on_the_original_photo(string photo)
    {
        var expected = ReferenceOutputs()[photo];
        await using var model = LoadModel(batchSize: 8);
        var tensor = new float[model.Preprocessor.TensorLength];
        model.Preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, photo)), tensor);
        var output = await model.Batcher.InferAsync(tensor, CancellationToken.None);
        Assert.Equal(expected.Top5, ClassScores.TopK(output.Probabilities, 5).Indices);
        AssertClose(expected.Logits, Logits(output.Probabilities), "logits");
    }

    private static LoadedModel LoadModel(int batchSize) =>
        ModelRepository.Load(
            TestPaths.TestModel,
            new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = batchSize, MaxBatchWaitMilliseconds = 50 },
            new PreprocessingOptions(),
            NullLoggerFactory.Instance);

    /// <summary>Softmax loses the logits' offset; compare logits up to a constant by centering both.</summary>
    private static float[] Logits(float[] probabilities)
    {
        var logs = probabilities.Select(p => MathF.Log(p)).ToArray();
        return logs;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        if (what == "logits")
        {
            // log-softmax equals logits minus a per-image constant: align the means before comparing.
            var shift = expected.Average() - actual.Average();
            actual = actual.Select(v => v + shift).ToArray();
        }

        var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(maxDiff <= Tolerance, $"{what}: max abs difference {maxDiff:G3} > {Tolerance}");
    }

    private static float[] TensorFromReferenceCrop(string pngPath, ModelSpec spec)
    {
        using var image = Image.NewFromFile(pngPath, access: Enums.Access.Sequential);
        var pixels = image.WriteToMemory<byte>();
        var (w, h) = (image.Width, image.Height);
        Assert.Equal((spec.Input.Width, spec.Input.Height, 3), (w, h, image.Bands));
        var tensor = new float[3 * w * h];
        var p = spec.Preprocess;
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < w * h; i++)
            {
                tensor[(c * w * h) + i] = ((pixels[(i * 3) + c] / p.Scale) - p.Mean[c]) / p.Std[c];
            }
        }

        return tensor;
    }

    private sealed record ReferenceOutput(string Crop, float[] Logits, float[] Embedding, int[] Top5);
}

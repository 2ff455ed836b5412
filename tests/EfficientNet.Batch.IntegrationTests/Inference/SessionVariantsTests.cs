using EfficientNet.Batch.Models;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Inference;

/// <summary>
/// The session variants of issue 4 on the committed tiny model: a float16 export, <c>--batch-size auto</c>, and
/// several sessions (one per GPU on a multi-GPU node) behind one batcher. Run on CPU here.
/// </summary>
public sealed class SessionVariantsTests
{
    private static string Fp16Model => Path.Combine(TestPaths.RepoRoot, "models", "test", "efficientnet_tiny_fp16.onnx");

    private static InferenceOptions Cpu(int batchSize) =>
        new() { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = batchSize, IntraOpThreads = 2, MaxBatchWaitMilliseconds = 20 };

    private static OnnxModelSession Open(string model, InferenceOptions options) =>
        new(model, ModelSpecFile.Load(ModelSpecFile.SpecPathFor(model)), options, NullLogger.Instance);

    private static float[] PhotoTensor(ModelSpec spec, string photo)
    {
        var preprocessor = new ImagePreprocessor(spec, new PreprocessingOptions());
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, photo)), tensor);
        return tensor;
    }

    public static TheoryData<string> SamplePhotos()
    {
        var photos = new TheoryData<string>();
        foreach (var photo in Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(p => !p.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            photos.Add(Path.GetFileName(photo));
        }

        return photos;
    }

    [Theory]
    [MemberData(nameof(SamplePhotos))]
    public void A_float16_model_gives_the_float32_models_outputs_within_half_precision_and_the_same_top_5(string photo)
    {
        using var fp32 = Open(TestPaths.TestModel, Cpu(2));
        using var fp16 = Open(Fp16Model, Cpu(2));
        Assert.False(fp32.IsFloat16);
        Assert.True(fp16.IsFloat16);
        var tensor = PhotoTensor(fp32.Spec, photo);

        var expected = Run(fp32, tensor);
        var actual = Run(fp16, tensor);

        // Both images of the batch (the second is a copy) get the same answer: the conversion covers the whole batch.
        Assert.Equal(actual.Logits[..1000], actual.Logits[1000..]);
        var logitDiff = expected.Logits.Zip(actual.Logits, (e, a) => Math.Abs(e - a)).Max();
        var embeddingDiff = expected.Embedding.Zip(actual.Embedding, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(logitDiff < 1e-2, $"logits differ by {logitDiff:G3}");
        Assert.True(embeddingDiff < 2e-2, $"embedding differs by {embeddingDiff:G3}");
        Assert.True(expected.Logits.Max() - expected.Logits.Min() > 0.1, "the reference logits are degenerate: the test would prove nothing");
        Assert.Equal(Top5(expected.Logits[..1000]), Top5(actual.Logits[..1000]));
    }

    private static int[] Top5(float[] logits) =>
        [.. logits.Select((value, index) => (value, index)).OrderByDescending(x => x.value).ThenBy(x => x.index).Take(5).Select(x => x.index)];

    private static (float[] Logits, float[] Embedding) Run(OnnxModelSession session, float[] tensor)
    {
        var input = session.InputFor(2);
        tensor.CopyTo(input);
        tensor.CopyTo(input[tensor.Length..]);
        var (logits, embedding) = session.Run(2);
        return (logits.ToArray(), embedding.ToArray());
    }

    [Fact]
    public void Batch_size_auto_probes_and_picks_a_power_of_two_up_to_32_on_cpu()
    {
        using var session = Open(TestPaths.TestModel, Cpu(batchSize: 0));
        var chosen = session.Buckets.Max;
        Assert.InRange(chosen, 1, 32);
        Assert.Equal(0, chosen & (chosen - 1));
        Assert.Equal(chosen, session.Buckets.Sizes[^1]);
    }

    [Fact]
    public async Task Two_sessions_behind_one_batcher_answer_every_request_correctly()
    {
        var options = Cpu(batchSize: 4);
        var sessions = new[] { Open(TestPaths.TestModel, options), Open(TestPaths.TestModel, options) };
        var photos = new[] { "chelsea.png", "rocket.jpg", "coffee.png" };
        var tensors = photos.Select(p => PhotoTensor(sessions[0].Spec, p)).ToArray();
        var expected = tensors.Select(t =>
        {
            var probabilities = Run(sessions[0], t).Logits[..1000];
            ClassScores.SoftmaxInPlace(probabilities);
            return probabilities;
        }).ToArray();
        Assert.NotEqual(expected[0], expected[1]); // a mixed-up route would show
        try
        {
            await using var batcher = new InferenceBatcher(sessions, options, NullLogger.Instance);
            var outputs = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => batcher.InferAsync(tensors[i % 3], CancellationToken.None)));

            for (var i = 0; i < outputs.Length; i++)
            {
                var diff = expected[i % 3].Zip(outputs[i].Probabilities, (e, a) => Math.Abs(e - a)).Max();
                Assert.True(diff < 1e-5, $"request {i}: probabilities differ by {diff:G3} from its own image's");
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
    }
}

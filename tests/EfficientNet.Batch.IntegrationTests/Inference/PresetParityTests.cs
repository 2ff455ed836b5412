using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Inference;

/// <summary>
/// Every torchvision EfficientNet preprocessing preset (B0-B7 bicubic, B1 V2 bilinear), on the sample photos: our
/// tensor is bit for bit torchvision's (sha256 of the float32 bytes), and our preprocessing + ONNX Runtime give
/// PyTorch's top-5 with its probabilities (tests/assets/reference/presets.json, tools/make_reference_assets.py).
/// One tiny network (models/test/efficientnet_tiny_anysize.onnx: the committed tiny model with named height/width
/// axes) serves every preset: a preset differs from another only in its resize, crop and interpolation, which is
/// what is under test; the B1-B7 architectures' extra width and depth do not touch preprocessing.
/// </summary>
public sealed class PresetParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-3;

    public static TheoryData<string> Presets() => [.. Reference().Select(p => p.Key)];

    [Theory]
    [MemberData(nameof(Presets))]
    public async Task Each_preset_gives_torchvisions_tensor_and_pytorchs_top5_on_every_sample_photo(string preset)
    {
        var entry = Reference()[preset]!.AsObject();
        var (resize, interpolation, crop) = ((int)entry["resize"]!, (string)entry["interpolation"]!, (int)entry["crop"]!);
        using var folder = new TempDirectory("enb-preset");
        var modelPath = WriteModel(folder, preset, resize, interpolation, crop);
        await using var model = ModelRepository.Load(
            modelPath,
            new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = 1 },
            new PreprocessingOptions { ApplyExifOrientation = false },
            NullLoggerFactory.Instance);

        foreach (var (photo, node) in entry["photos"]!.AsObject())
        {
            var expected = node!.AsObject();
            var tensor = new float[model.Preprocessor.TensorLength];
            model.Preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, photo)), tensor);
            var sha = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(tensor.AsSpan())));
            var sum = tensor.Sum(v => (double)v);

            var result = await model.Batcher.InferAsync(tensor, CancellationToken.None);
            var top5 = ClassScores.TopK(result.Probabilities, 5).Indices;
            var expectedTop5 = expected["top5"]!.AsArray().Select(v => (int)v!).ToArray();
            var expectedProbabilities = expected["top5Probabilities"]!.AsArray().Select(v => (double)v!).ToArray();
            var worst = expectedTop5.Select((c, i) => Math.Abs(result.Probabilities[c] - expectedProbabilities[i])).Max();
            var worstRelative = expectedTop5.Select((c, i) => Math.Abs(result.Probabilities[c] - expectedProbabilities[i]) / expectedProbabilities[i]).Max();
            output.WriteLine($"{preset} {photo}: tensor {(sha == (string)expected["tensorSha256"]! ? "identical" : $"DIFFERS (sum {sum} vs {(double)expected["tensorSum"]!})")}, top-5 [{string.Join(",", top5)}] vs PyTorch [{string.Join(",", expectedTop5)}], max |dp| {worst:G3} (relative {worstRelative:G3})");

            Assert.Equal((string)expected["tensorSha256"]!, sha);
            Assert.Equal(expectedTop5, top5);
            Assert.True(worst <= Tolerance, $"{photo}: probability differs by {worst}");

            // Random weights make the distribution nearly flat (top-5 probabilities ~0.0012), so the absolute tolerance
            // alone would pass anything: the probabilities must also agree to 1e-3 of their value.
            Assert.True(worstRelative <= Tolerance, $"{photo}: probability differs by {worstRelative:P3} of its value");
        }
    }

    /// <summary>The any-size tiny model with a spec for one preprocessing (and the labels) in <paramref name="folder"/>.</summary>
    internal static string WriteModel(TempDirectory folder, string preset, int resize, string interpolation, int crop)
    {
        var testModels = Path.GetDirectoryName(TestPaths.TestModel)!;
        var modelPath = folder.File($"tiny_{preset}.onnx");
        File.Copy(Path.Combine(testModels, "efficientnet_tiny_anysize.onnx"), modelPath);
        File.Copy(Path.Combine(testModels, "imagenet_labels.txt"), folder.File("imagenet_labels.txt"));
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(testModels, "efficientnet_tiny.json")))!.AsObject();
        spec["name"] = $"efficientnet_tiny_{preset}";
        spec["input"]!["width"] = crop;
        spec["input"]!["height"] = crop;
        spec["preprocess"]!["resizeShortSide"] = resize;
        spec["preprocess"]!["interpolation"] = interpolation;
        spec["preprocess"]!["cropWidth"] = crop;
        spec["preprocess"]!["cropHeight"] = crop;
        File.WriteAllText(folder.File($"tiny_{preset}.json"), spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return modelPath;
    }

    private static JsonObject Reference() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Reference, "presets.json")))!.AsObject();
}

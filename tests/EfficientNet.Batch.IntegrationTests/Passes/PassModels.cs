using System.Text.Json;
using System.Text.Json.Nodes;

namespace EfficientNet.Batch.IntegrationTests.Passes;

/// <summary>
/// The two models of the pass tests: the committed tiny model (its spec is torchvision's B0 preset: resize 256
/// bicubic, crop 224) and the same network with named height/width axes under the B1 V2 preset (resize 255 bilinear,
/// crop 240), so the two differ in file (SHA-256), crop size and interpolation. tests/assets/reference/presets.json
/// holds PyTorch's top-5 of this network for both presets.
/// </summary>
public static class PassModels
{
    public const string FirstPreset = "b0";
    public const string SecondPreset = "b1_v2";

    public static string First => TestPaths.TestModel;

    /// <summary>Writes the second model (and its labels) into <paramref name="folder"/>; its path.</summary>
    public static string WriteSecond(TempDirectory folder, string? labelsText = null)
    {
        var testModels = Path.GetDirectoryName(TestPaths.TestModel)!;
        var entry = Reference()[SecondPreset]!.AsObject();
        var (resize, interpolation, crop) = ((int)entry["resize"]!, (string)entry["interpolation"]!, (int)entry["crop"]!);
        var modelPath = folder.File("tiny_b1_v2.onnx");
        File.Copy(Path.Combine(testModels, "efficientnet_tiny_anysize.onnx"), modelPath);
        var labels = folder.File("imagenet_labels.txt");
        if (labelsText is null)
        {
            File.Copy(Path.Combine(testModels, "imagenet_labels.txt"), labels);
        }
        else
        {
            File.WriteAllText(labels, labelsText);
        }

        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(testModels, "efficientnet_tiny.json")))!.AsObject();
        spec["name"] = "efficientnet_tiny_b1_v2";
        spec["input"]!["width"] = crop;
        spec["input"]!["height"] = crop;
        spec["preprocess"]!["resizeShortSide"] = resize;
        spec["preprocess"]!["interpolation"] = interpolation;
        spec["preprocess"]!["cropWidth"] = crop;
        spec["preprocess"]!["cropHeight"] = crop;
        File.WriteAllText(folder.File("tiny_b1_v2.json"), spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return modelPath;
    }

    /// <summary>PyTorch's top-5 class indices per sample photo under a preset.</summary>
    public static Dictionary<string, int[]> ReferenceTop5(string preset) =>
        Reference()[preset]!["photos"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["top5"]!.AsArray().Select(v => (int)v!).ToArray());

    /// <summary>torchvision's tensor (sha256 of its float32 bytes) per sample photo under a preset.</summary>
    public static Dictionary<string, string> ReferenceTensorSha256(string preset) =>
        Reference()[preset]!["photos"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!["tensorSha256"]!);

    public static JsonObject Reference() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Reference, "presets.json")))!.AsObject();
}

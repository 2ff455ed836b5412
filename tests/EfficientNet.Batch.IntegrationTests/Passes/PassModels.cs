using System.Text.Json.Nodes;
using EfficientNet.Batch.IntegrationTests.Inference;

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

    /// <summary>Writes the second model (and its labels, or <paramref name="labelsText"/> instead) into <paramref name="folder"/>; its path.</summary>
    public static string WriteSecond(TempDirectory folder, string? labelsText = null)
    {
        var entry = Reference()[SecondPreset]!.AsObject();
        var modelPath = PresetParityTests.WriteModel(folder, SecondPreset, (int)entry["resize"]!, (string)entry["interpolation"]!, (int)entry["crop"]!);
        if (labelsText is not null)
        {
            File.WriteAllText(folder.File("imagenet_labels.txt"), labelsText);
        }

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

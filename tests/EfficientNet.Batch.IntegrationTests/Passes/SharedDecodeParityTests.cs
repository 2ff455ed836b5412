using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Passes;

/// <summary>
/// A multi-model pass decodes each image once and preprocesses the one decoded image per model: each model's tensor
/// must still be bit for bit torchvision's under that model's preset (sha256 of the float32 bytes in
/// tests/assets/reference/presets.json), whichever model's preprocessor decoded it.
/// </summary>
public sealed class SharedDecodeParityTests
{
    [Fact]
    public async Task One_decode_preprocessed_for_two_presets_gives_torchvisions_tensor_for_each()
    {
        using var folder = new TempDirectory("enb-shared-decode");
        var inference = new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = 1 };
        var preprocessing = new PreprocessingOptions { ApplyExifOrientation = false };
        await using var first = ModelRepository.Load(PassModels.First, inference, preprocessing, NullLoggerFactory.Instance);
        await using var second = ModelRepository.Load(PassModels.WriteSecond(folder), inference, preprocessing, NullLoggerFactory.Instance);
        var expected = new[] { PassModels.ReferenceTensorSha256(PassModels.FirstPreset), PassModels.ReferenceTensorSha256(PassModels.SecondPreset) };
        var models = new[] { first, second };

        foreach (var photo in expected[0].Keys)
        {
            var bytes = File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, photo));

            // Decoded by the second model's preprocessor, used by both: the decode does not depend on the model.
            using var decoded = second.Preprocessor.DecodeShared(bytes);
            Assert.NotNull(decoded);
            for (var m = 0; m < models.Length; m++)
            {
                var tensor = new float[models[m].Preprocessor.TensorLength];
                models[m].Preprocessor.Preprocess(bytes, decoded, tensor);
                Assert.Equal(expected[m][photo], Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(tensor.AsSpan()))));
            }
        }
    }
}

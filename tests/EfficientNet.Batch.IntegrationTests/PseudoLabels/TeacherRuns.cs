using EfficientNet.Batch.IntegrationTests.Storage;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.IntegrationTests.PseudoLabels;

/// <summary>Completed teacher runs with synthetic predictions of known top-1 class and confidence.</summary>
public static class TeacherRuns
{
    /// <summary>One image per (class, confidence), keys img-00000.jpg, ...; returns the run and each key's image id.</summary>
    public static async Task<(RunInfo Run, IReadOnlyList<long> ImageIds)> CreateAsync(
        StorageDatabase database, string name, IReadOnlyList<(int Class, float Confidence)> predictions, string modelSeed = "teacher")
    {
        var model = await database.Runs.EnsureModelAsync(
            "teacher_b7", "file:///models/b7.onnx", Sha(modelSeed), "{}", null, CancellationToken.None);
        var run = await database.Runs.CreateRunAsync(
            new NewRun(name, RunKind.Teacher, model, "/corpus", TopK: 3, StoreEmbeddings: false, ErrorBudget: 0.1, ShardSize: 1000),
            CancellationToken.None);
        await database.Runs.SetRunStatusAsync(run.Id, RunStatus.Running, null, CancellationToken.None);
        var ids = new List<long>(predictions.Count);
        foreach (var chunk in predictions.Select((p, i) => (p.Class, p.Confidence, Key: $"img-{i:D5}.jpg")).Chunk(1000))
        {
            var shard = await database.Runs.AddShardAsync(run.Id, run.Source, chunk.Select(c => c.Key).ToList(), CancellationToken.None);
            var results = chunk.Zip(shard.Items, (p, item) => new ImagePrediction(
                item.ImageId,
                [p.Class, p.Class + 1000, p.Class + 2000],
                [p.Confidence, p.Confidence * (1 - p.Confidence) * 0.5f, p.Confidence * (1 - p.Confidence) * 0.25f],
                null));
            await database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, results.ToList(), [], "w"), CancellationToken.None);
            ids.AddRange(shard.Items.Select(i => i.ImageId));
        }

        await database.Runs.CompletePlanningAsync(run.Id, CancellationToken.None);
        await database.Runs.SetRunStatusAsync(run.Id, RunStatus.Completed, null, CancellationToken.None);
        return (run, ids);
    }

    private static string Sha(string seed) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));
}

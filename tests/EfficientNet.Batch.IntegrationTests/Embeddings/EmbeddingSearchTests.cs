using EfficientNet.Batch.IntegrationTests.Storage;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Storage.Embeddings;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.IntegrationTests.Embeddings;

/// <summary>
/// The vector index, similar-image search, near-duplicates and the pseudo-label filters over embeddings stored by
/// the real writers, on both providers. The corpus: random 64-d vectors, with planted near-copies (the original plus
/// 1% noise, cosine above 0.99) whose groups are known.
/// </summary>
public abstract class EmbeddingSearchTests : IAsyncLifetime
{
    private const int Dimensions = 64;
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;
    private string _folder = null!;

    private RunEmbeddings Embeddings => new(_database.Runs, _database.Services.GetRequiredService<IEmbeddingReader>());

    public async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        _folder = Directory.CreateTempSubdirectory("enb-index-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task An_index_built_from_the_database_answers_like_an_exact_scan_after_save_and_open()
    {
        var vectors = Corpus(seed: 1, count: 300, groups: [[0, 1, 2], [10, 11]]);
        var (run, ids) = await CreateRunAsync("photos", RunKind.Label, vectors);
        var source = await Embeddings.RequireAsync(run, None);
        Assert.Equal((300L, Dimensions), (source.Count, source.Dimensions));

        var path = Path.Combine(_folder, "photos.usearch");
        using (var built = await Embeddings.BuildAsync(source, IndexPrecision.F32, 16, 128, expansionSearch: 200, threads: 2, None))
        {
            built.Save(path);
        }

        Assert.Equal(["photos.usearch", "photos.usearch.json"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order());
        using var index = RunEmbeddings.OpenFor(source, path);
        Assert.Equal((run.Id, 300L, "cosine"), (index.Manifest.RunId, index.Manifest.Count, index.Manifest.Metric));

        // The search expansion is not in USearch's file: opening applies the manifest's (USearch's own default is 64).
        Assert.Equal((200, 200), (index.Manifest.ExpansionSearch, index.SearchExpansion));
        var queries = vectors.Values.Take(20).ToList();
        var exact = await ExactNeighbours.SearchAsync(queries, 5, Embeddings.Reader.ReadAsync(run.Id, None), None);
        for (var q = 0; q < queries.Count; q++)
        {
            Assert.Equal(exact[q].Select(n => n.ImageId), index.Search(queries[q], 5).Select(n => n.ImageId));
        }

        var nearest = await SimilarImages.FindAsync(Embeddings, source, index, vectors[0], k: 2, exclude: ids["img-000.jpg"], None);
        Assert.Equal(["img-001.jpg", "img-002.jpg"], nearest.Select(n => n.Key).Order());
        Assert.All(nearest, n => Assert.True(n.Similarity > 0.99f, $"{n.Key}: {n.Similarity}"));
        Assert.Equal(Path.Combine("/corpus", "img-001.jpg"), nearest.Single(n => n.Key == "img-001.jpg").Uri);
    }

    [Fact]
    public async Task Near_duplicates_are_the_planted_groups_largest_first()
    {
        var (run, _) = await CreateRunAsync("dups", RunKind.Label, Corpus(seed: 2, count: 200, groups: [[5, 6], [20, 21, 22, 23], [40, 41, 42]]));
        var source = await Embeddings.RequireAsync(run, None);
        using var index = await Embeddings.OpenOrBuildAsync(source, null, None);

        var report = await NearDuplicates.FindAsync(index, Embeddings.Reader.ReadAsync(run.Id, None), 0.95, 10, threads: 2, None);

        var described = await Embeddings.Reader.DescribeAsync(run.Id, report.Groups.SelectMany(g => g.ImageIds).ToList(), None);
        Assert.Equal(
            [["img-020.jpg", "img-021.jpg", "img-022.jpg", "img-023.jpg"], ["img-040.jpg", "img-041.jpg", "img-042.jpg"], ["img-005.jpg", "img-006.jpg"]],
            report.Groups.Select(g => g.ImageIds.Select(id => described[id].Key).ToArray()));
        Assert.Equal((200L, 9L, 6L), (report.ImagesScanned, report.ImagesInGroups, report.WouldDrop));
    }

    [Fact]
    public async Task Selection_leaves_out_near_copies_of_the_reference_run_and_all_but_one_of_each_duplicate_group()
    {
        // Teacher: 100 images; 0-1-2 are near-copies of each other; 50 and 60 are near-copies of reference images.
        var teacherVectors = Corpus(seed: 3, count: 100, groups: [[0, 1, 2]]);
        var referenceVectors = Corpus(seed: 4, count: 30, groups: []);
        teacherVectors[50] = Jitter(referenceVectors[7], 50);
        teacherVectors[60] = Jitter(referenceVectors[8], 60);
        var (teacher, teacherIds) = await CreateRunAsync("teacher", RunKind.Teacher, teacherVectors);
        var (reference, _) = await CreateRunAsync("eval", RunKind.Label, referenceVectors);

        var exclusions = await new EmbeddingExclusions(Embeddings, threads: 2).DecideAsync(teacher, reference, 0.95, dedup: 0.95, indexPath: null, None);
        var store = _database.Services.GetRequiredService<IPseudoLabelStore>();
        var set = await store.SelectAsync(
            new SelectionRequest(teacher.Id, "clean", 1000, 0.3, PseudoLabelMode.Hard, 1.0, 0, null) { Exclusions = exclusions }, None);

        var selected = new HashSet<long>();
        await foreach (var row in store.ReadLabelsAsync(set.Id, false, None))
        {
            selected.Add(row.ImageId);
        }

        var left = new[] { 1, 2, 50, 60 }.Select(i => teacherIds[$"img-{i:D3}.jpg"]).ToHashSet();
        Assert.Equal(teacherIds.Values.Where(id => !left.Contains(id)).Order(), selected.Order());
        var stored = await store.FindSetAsync("clean", None);
        Assert.Equal(("run:eval", 0.95, 2L, 0.95, 2L), (stored!.ExcludeNearRun, stored.ExcludeSimilarity, stored.ExcludedNear, stored.DedupSimilarity, stored.DedupRemoved));

        // A set without filters records none, and a pooled connection's leftover exclusions do not leak into it.
        var plain = await store.SelectAsync(new SelectionRequest(teacher.Id, "plain", 1000, 0.3, PseudoLabelMode.Hard, 1.0, 0, null), None);
        Assert.Equal((100L, null, 0L, null), (plain.UniqueImages, plain.ExcludeNearRun, plain.ExcludedNear, plain.DedupSimilarity));
    }

    [Fact]
    public async Task A_run_without_embeddings_an_index_of_another_model_and_another_dimension_are_refused()
    {
        var (run, _) = await CreateRunAsync("a", RunKind.Label, Corpus(seed: 5, count: 20, groups: []));
        var (other, _) = await CreateRunAsync("b", RunKind.Label, Corpus(seed: 6, count: 20, groups: []), modelSeed: "other-model");
        var bare = await _database.StartRunAsync("bare", "/corpus");
        var shard = await _database.AddShardAsync(bare, "x.jpg");
        await _database.Writer.WriteAsync(new ShardResult(bare.Id, shard.ShardId, [StorageDatabase.Prediction(shard.Items[0].ImageId)], [], "w"), None);

        var noEmbeddings = await Assert.ThrowsAsync<EmbeddingsUnavailableException>(() => Embeddings.RequireAsync(bare, None));
        Assert.Contains("bare has no embeddings", noEmbeddings.Message);

        var path = Path.Combine(_folder, "a.usearch");
        using (var index = await Embeddings.BuildAsync(await Embeddings.RequireAsync(run, None), IndexPrecision.F16, 16, 64, 64, 1, None))
        {
            index.Save(path);
            var wrongDimension = Assert.Throws<IndexMismatchException>(() => index.Search(new float[Dimensions + 1], 3));
            Assert.Contains("dimension mismatch", wrongDimension.Message);
        }

        var otherSource = await Embeddings.RequireAsync(other, None);
        var otherModel = Assert.Throws<IndexMismatchException>(() => RunEmbeddings.OpenFor(otherSource, path));
        Assert.Contains("was built for model", otherModel.Message);
        File.Delete(IndexManifest.PathFor(path));
        Assert.Throws<IndexMismatchException>(() => VectorIndex.Open(path));
    }

    private async Task<(RunInfo Run, Dictionary<string, long> Ids)> CreateRunAsync(
        string name, string kind, Dictionary<int, float[]> vectors, string? modelSeed = null)
    {
        var model = await _database.Runs.EnsureModelAsync("efficientnet_b0", "file:///models/b0.onnx", Sha(modelSeed ?? "shared-model"), "{}", ["tench", "goldfish"], None);
        var run = await _database.Runs.CreateRunAsync(new NewRun(name, kind, model, "/corpus", TopK: 1, StoreEmbeddings: true, ErrorBudget: 0.1, ShardSize: 1000), None);
        await _database.Runs.SetRunStatusAsync(run.Id, RunStatus.Running, null, None);
        var keys = vectors.Keys.Order().Select(i => $"img-{i:D3}.jpg").ToList();
        var shard = await _database.Runs.AddShardAsync(run.Id, run.Source, keys, None);
        var predictions = shard.Items.Select(item => new ImagePrediction(item.ImageId, [0], [0.9f], vectors[int.Parse(item.Key[4..7], System.Globalization.CultureInfo.InvariantCulture)])).ToList();
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, predictions, [], "w"), None);
        await _database.Runs.CompletePlanningAsync(run.Id, None);
        await _database.Runs.SetRunStatusAsync(run.Id, RunStatus.Completed, null, None);
        return (run, shard.Items.ToDictionary(i => i.Key, i => i.ImageId));
    }

    /// <summary>Random vectors in [-1, 1); each group's later members are its first plus 1% noise.</summary>
    private static Dictionary<int, float[]> Corpus(int seed, int count, int[][] groups)
    {
        var random = new Random(seed);
        var vectors = Enumerable.Range(0, count).ToDictionary(i => i, _ => Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle() * 2 - 1).ToArray());
        foreach (var group in groups)
        {
            foreach (var member in group.Skip(1))
            {
                vectors[member] = Jitter(vectors[group[0]], member);
            }
        }

        return vectors;
    }

    private static float[] Jitter(float[] vector, int seed)
    {
        var random = new Random(seed + 1000);
        return vector.Select(v => v + (random.NextSingle() * 2 - 1) * 0.01f).ToArray();
    }

    private static string Sha(string seed) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));
}

public sealed class SqliteEmbeddingSearchTests : EmbeddingSearchTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresEmbeddingSearchTests(PostgresDatabase postgres) : EmbeddingSearchTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}

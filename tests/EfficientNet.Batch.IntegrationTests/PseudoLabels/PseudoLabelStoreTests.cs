using EfficientNet.Batch.IntegrationTests.Storage;
using EfficientNet.Batch.Storage.PseudoLabels;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.IntegrationTests.PseudoLabels;

/// <summary>The Noisy-Student selection in SQL, on both providers, held to the C# reference rule.</summary>
public abstract class PseudoLabelStoreTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    private IPseudoLabelStore Store => _database.Services.GetRequiredService<IPseudoLabelStore>();

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task Thresholds_stop_where_each_class_reaches_its_target_and_never_go_below_the_floor()
    {
        // Class 0: 2 at 0.955, 3 at 0.905, 5 at 0.855 -> 5 images at >= 0.90 reach the target 4: threshold 0.90.
        // Class 1: 0.505 and 0.405 (and 0.25, under the floor) -> the scan ends at the floor 0.30 with 2 images.
        // Class 2: only 0.295, under the floor -> no class row, no image.
        // Class 3: three at 0.995 -> never reaches 4, ends at the floor with 3 images.
        var predictions = new List<(int, float)>();
        predictions.AddRange(Enumerable.Repeat((0, 0.955f), 2));
        predictions.AddRange(Enumerable.Repeat((0, 0.905f), 3));
        predictions.AddRange(Enumerable.Repeat((0, 0.855f), 5));
        predictions.AddRange([(1, 0.505f), (1, 0.405f), (1, 0.25f), (2, 0.295f)]);
        predictions.AddRange(Enumerable.Repeat((3, 0.995f), 3));
        var (run, ids) = await TeacherRuns.CreateAsync(_database, "teacher-1", predictions);

        var set = await Store.SelectAsync(Request(run.Id, "gen1", target: 4, seed: 7), None);
        var classes = await Store.GetClassesAsync(set.Id, None);

        Assert.Equal(
            [(0, 90, 5L), (1, 30, 2L), (3, 30, 3L)],
            classes.Select(c => (c.ClassIndex, c.ThresholdBucket, c.Candidates)));
        var rows = await RowsAsync(set.Id);
        var expected = new Dictionary<long, int>();
        foreach (var (index, (label, confidence)) in predictions.Index())
        {
            var selection = classes.SingleOrDefault(c => c.ClassIndex == label);
            if (selection is not null && ConfidenceBuckets.Of(confidence) >= selection.ThresholdBucket)
            {
                var copies = NoisyStudentSelector.Copies(ids[index], 7, 4, selection.Candidates);
                if (copies > 0)
                {
                    expected[ids[index]] = copies;
                }
            }
        }

        Assert.Equal(expected.OrderBy(e => e.Key), rows.Select(r => new KeyValuePair<long, int>(r.ImageId, r.Copies)));
        Assert.Equal([2, 2], rows.Where(r => r.Label == 1).Select(r => r.Copies));
        Assert.DoesNotContain(rows, r => r.Label == 2 || r.Confidence < 0.3f);
        Assert.All(rows.Where(r => r.Label == 0), r => Assert.True(r.Confidence >= 0.9f));
        Assert.Equal((long)rows.Count, set.UniqueImages);
        Assert.Equal(rows.Sum(r => (long)r.Copies), set.TotalSamples);
        Assert.Equal(classes.Sum(c => c.Samples), set.TotalSamples);
        Assert.Equal((1, "teacher_b7", run.Id), (set.Generation, set.TeacherModelName, set.TeacherRunId));
    }

    [Fact]
    public async Task Stochastic_rounding_keeps_each_class_total_near_its_target_and_is_reproducible_by_seed()
    {
        // 2,000 images of class 5 (sampled down to 300) and 120 of class 6 (duplicated up to 300), all in one bucket.
        var predictions = Enumerable.Range(0, 2000).Select(i => (5, 0.6f))
            .Concat(Enumerable.Range(0, 120).Select(i => (6, 0.6f)))
            .ToList();
        var (run, ids) = await TeacherRuns.CreateAsync(_database, "teacher-2", predictions);

        var first = await Store.SelectAsync(Request(run.Id, "a", target: 300, seed: 42), None);
        var again = await Store.SelectAsync(Request(run.Id, "b", target: 300, seed: 42), None);
        var other = await Store.SelectAsync(Request(run.Id, "c", target: 300, seed: 43), None);

        var classes = await Store.GetClassesAsync(first.Id, None);
        foreach (var c in classes)
        {
            // Each image adds a Bernoulli(fraction): the total's standard deviation is at most sqrt(n / 4).
            var bound = 4 * Math.Sqrt(c.Candidates / 4.0) + 1;
            Assert.InRange(c.Samples, 300 - bound, 300 + bound);
        }

        Assert.Equal(2000, classes.Single(c => c.ClassIndex == 5).Candidates);
        Assert.Equal(120, classes.Single(c => c.ClassIndex == 6).Candidates);
        Assert.All((await RowsAsync(first.Id)).Where(r => r.Label == 6), r => Assert.InRange(r.Copies, 2, 3));
        // Every image's coin, as the database tossed it, is the C# reference's: the SQL hash is the same function.
        var expected = ids.Index()
            .Select(x => (Id: x.Item, Copies: NoisyStudentSelector.Copies(x.Item, 42, 300, predictions[x.Index].Item1 == 5 ? 2000 : 120)))
            .Where(x => x.Copies > 0)
            .ToList();
        Assert.Equal(expected, await CopiesAsync(first.Id));
        Assert.Equal(await CopiesAsync(first.Id), await CopiesAsync(again.Id));
        Assert.NotEqual(await CopiesAsync(first.Id), await CopiesAsync(other.Id));
    }

    [Fact]
    public async Task Sets_record_lineage_and_compare_counts_changed_labels()
    {
        var (first, _) = await TeacherRuns.CreateAsync(_database, "teacher-g1", [(0, 0.9f), (0, 0.8f), (1, 0.7f), (1, 0.6f)]);
        var gen1 = await Store.SelectAsync(Request(first.Id, "gen1", target: 2, seed: 1), None);

        // The student relabels the same images: one changes class, one falls under the floor.
        var (second, _) = await TeacherRuns.CreateAsync(
            _database, "teacher-g2", [(0, 0.95f), (1, 0.85f), (1, 0.75f), (1, 0.1f)], modelSeed: "student");
        var gen2 = await Store.SelectAsync(Request(second.Id, "gen2", target: 2, seed: 1) with { ParentSetId = gen1.Id }, None);

        Assert.Equal((2, gen1.Id, "gen1"), (gen2.Generation, gen2.ParentSetId, gen2.ParentSetName));
        var comparison = await Store.CompareAsync(gen1.Id, gen2.Id, None);
        Assert.Equal((3L, 2L, 1L, 1L, 0L), (comparison.InBoth, comparison.Agreeing, comparison.Changed, comparison.OnlyInFirst, comparison.OnlyInSecond));
        Assert.Equal([(0, 2L, 1L), (1, 1L, 1L)], comparison.PerClass.Select(c => (c.ClassIndex, c.InBoth, c.Agreeing)));
        var runs = await Store.CompareRunsAsync(first, second, None);
        Assert.Equal((4L, 3L, 1L, 0L, 0L), (runs.InBoth, runs.Agreeing, runs.Changed, runs.OnlyInFirst, runs.OnlyInSecond));
        Assert.Equal([(0, 2L, 1L), (1, 2L, 2L)], runs.PerClass.Select(c => (c.ClassIndex, c.InBoth, c.Agreeing)));
        Assert.Equal(["gen2", "gen1"], (await Store.ListSetsAsync(None)).Select(s => s.Name));
        Assert.Equal(["img-00000.jpg", "img-00001.jpg", "img-00002.jpg", "img-00003.jpg"], await KeysAsync(gen1.Id));
    }

    [Fact]
    public async Task A_taken_name_a_label_run_and_a_bad_floor_are_refused_with_reasons()
    {
        var (run, _) = await TeacherRuns.CreateAsync(_database, "teacher", [(0, 0.9f)]);
        await Store.SelectAsync(Request(run.Id, "taken", target: 1, seed: 1), None);
        var label = await _database.StartRunAsync("labels");

        await Assert.ThrowsAsync<PseudoLabelSetExistsException>(() => Store.SelectAsync(Request(run.Id, "taken", 1, 1), None));
        var notTeacher = await Assert.ThrowsAsync<ArgumentException>(() => Store.SelectAsync(Request(label.Id, "x", 1, 1), None));
        Assert.Contains("not a teacher pass", notTeacher.Message, StringComparison.Ordinal);
        var floor = await Assert.ThrowsAsync<ArgumentException>(
            () => Store.SelectAsync(Request(run.Id, "y", 1, 1) with { MinConfidence = 1.5 }, None));
        Assert.Contains("--min-confidence", floor.Message, StringComparison.Ordinal);
    }

    private static SelectionRequest Request(Guid run, string name, long target, long seed) =>
        new(run, name, target, MinConfidence: 0.3, PseudoLabelMode.Hard, Temperature: 1, seed, ParentSetId: null);

    private async Task<List<PseudoLabelRow>> RowsAsync(long setId)
    {
        var rows = new List<PseudoLabelRow>();
        await foreach (var row in Store.ReadLabelsAsync(setId, withFullDistribution: false, None))
        {
            rows.Add(row);
        }

        return rows;
    }

    private async Task<List<(long, int)>> CopiesAsync(long setId) => (await RowsAsync(setId)).Select(r => (r.ImageId, r.Copies)).ToList();

    private async Task<List<string>> KeysAsync(long setId)
    {
        var keys = new List<string>();
        await foreach (var key in Store.ReadKeysAsync(setId, None))
        {
            keys.Add(key);
        }

        return keys;
    }
}

public sealed class SqlitePseudoLabelStoreTests : PseudoLabelStoreTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresPseudoLabelStoreTests(PostgresDatabase postgres) : PseudoLabelStoreTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}

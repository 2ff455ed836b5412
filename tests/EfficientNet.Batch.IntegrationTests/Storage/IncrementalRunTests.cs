using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>Incremental runs plan only the keys that no run of the same model has labeled yet.</summary>
public abstract class IncrementalRunTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    private IRunStore Runs => _database.Runs;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task Keys_labeled_by_any_run_of_the_model_are_left_out_in_the_given_order()
    {
        var monday = await _database.StartRunAsync("monday", modelSeed: "b0");
        var tuesday = await _database.StartRunAsync("tuesday", modelSeed: "b0");
        var otherModel = await _database.StartRunAsync("b3 run", modelSeed: "b3");
        await LabelAsync(monday, ok: ["a.jpg", "b.jpg"], failed: ["c.jpg"]);
        await LabelAsync(tuesday, ok: ["d.jpg"], failed: []);
        await LabelAsync(otherModel, ok: ["e.jpg"], failed: []);
        await _database.AddShardAsync(tuesday, "f.jpg");

        var unlabeled = await Runs.FilterUnlabeledAsync(monday.ModelId, "/photos", ["e.jpg", "a.jpg", "c.jpg", "new.jpg", "d.jpg", "f.jpg", "b.jpg"], None);

        Assert.Equal(["e.jpg", "c.jpg", "new.jpg", "f.jpg"], unlabeled);
    }

    [Fact]
    public async Task The_same_key_in_another_source_is_another_image()
    {
        var run = await _database.StartRunAsync();
        await LabelAsync(run, ok: ["a.jpg"], failed: []);

        Assert.Equal(["a.jpg"], await Runs.FilterUnlabeledAsync(run.ModelId, "/elsewhere", ["a.jpg"], None));
        Assert.Empty(await Runs.FilterUnlabeledAsync(run.ModelId, "/photos", ["a.jpg"], None));
    }

    [Fact]
    public async Task A_few_hundred_keys_are_filtered_in_one_call()
    {
        var run = await _database.StartRunAsync();
        var keys = Enumerable.Range(0, 600).Select(i => $"dir/{i:D4}.jpg").ToArray();
        await LabelAsync(run, ok: keys.Where((_, i) => i % 3 == 0).ToArray(), failed: []);

        var unlabeled = await Runs.FilterUnlabeledAsync(run.ModelId, "/photos", keys, None);

        Assert.Equal(keys.Where((_, i) => i % 3 != 0), unlabeled);
    }

    [Fact]
    public async Task No_keys_give_no_keys()
    {
        var run = await _database.StartRunAsync();

        Assert.Empty(await Runs.FilterUnlabeledAsync(run.ModelId, "/photos", [], None));
    }

    private async Task LabelAsync(RunInfo run, string[] ok, string[] failed)
    {
        var shard = await _database.AddShardAsync(run, [.. ok, .. failed]);
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                shard.ShardId,
                shard.Items.Take(ok.Length).Select(i => StorageDatabase.Prediction(i.ImageId)).ToList(),
                shard.Items.Skip(ok.Length).Select(i => new ImageFailure(i.ImageId, FailureStage.Decode, "not an image")).ToList(),
                "w"),
            None);
    }
}

public sealed class SqliteIncrementalRunTests : IncrementalRunTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresIncrementalRunTests(PostgresDatabase postgres) : IncrementalRunTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}

using EfficientNet.Batch.IntegrationTests.Passes;
using EfficientNet.Batch.Scheduler.Cli;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// A two-model pass in distributed mode: <c>submit --model a --model b</c> publishes one message per shard for both
/// runs; a worker process fetches each blob once and writes each run's results exactly once, also when a shard of
/// each run comes again after its commit (re-published alone by the sweeper).
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class MultiModelPassDistributedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private DistributedStack _stack = null!;
    private readonly TempDirectory _models = new("enb-pass-models");

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        _models.Dispose();
    }

    [Fact]
    public async Task Each_run_of_a_pass_gets_every_image_exactly_once_with_its_own_presets_labels()
    {
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).ToList();
        foreach (var photo in photos)
        {
            await _stack.UploadAsync($"pass/{Path.GetFileName(photo)}", await File.ReadAllBytesAsync(photo));
        }

        await _stack.UploadAsync("pass/bad/page.jpg", "<html>gone</html>"u8.ToArray());
        var second = PassModels.WriteSecond(_models);
        await using var worker = _stack.StartWorker();
        await worker.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));

        var (exitCode, text) = await _stack.EnbAsync(
            "submit", $"az://{_stack.Container}/pass", "--model", PassModels.First, "--model", second, "--shard-size", "3",
            "--error-budget", "0.5", "--run-name", "dpass", "--wait");
        output.WriteLine(text);
        Assert.True(exitCode == ExitCodes.Success, text);

        Assert.Equal(1, await _stack.ScalarAsync("SELECT count(DISTINCT pass_id) FROM runs WHERE pass_id IS NOT NULL"));
        Assert.Equal(2, await _stack.ScalarAsync("SELECT count(*) FROM runs WHERE pass_id IS NOT NULL AND status = 'completed'"));
        await AssertEachRunHasEveryImageOnceAsync(photos.Count);
        foreach (var (run, preset) in new[] { ("dpass-efficientnet_tiny", PassModels.FirstPreset), ("dpass-tiny_b1_v2", PassModels.SecondPreset) })
        {
            var reference = PassModels.ReferenceTop5(preset);
            var rows = await _stack.QueryAsync(
                $"SELECT i.key, p.top_indices FROM predictions p JOIN images i ON i.id = p.image_id JOIN runs r ON r.id = p.run_id WHERE r.name = '{run}'",
                r => (Key: r.GetString(0), Top: (int[])r.GetValue(1)));
            Assert.All(rows, row => Assert.Equal(reference[Path.GetFileName(row.Key)], row.Top));
        }

        // A worker that crashed after committing but before acking: shard 1 of both runs comes again, each alone.
        await _stack.ScalarAsync("UPDATE shards SET status = 'running', leased_at = now() - interval '1 hour' WHERE shard_id = 1 RETURNING 1");
        await _stack.ScalarAsync("UPDATE runs SET status = 'running', finished_at = NULL RETURNING 1");
        await using var scheduler = _stack.StartScheduler("serve", "--urls", "http://127.0.0.1:0");
        await Eventually.WaitUntilAsync(
            "both runs completed again", () => _stack.ScalarAsync("SELECT count(*) FROM runs WHERE status = 'completed'"), n => n == 2,
            TimeSpan.FromSeconds(120), n => $"{n} completed run(s)");
        Assert.Equal(2, await _stack.ScalarAsync("SELECT count(*) FROM shards WHERE shard_id = 1 AND attempts = 2"));
        await AssertEachRunHasEveryImageOnceAsync(photos.Count);
    }

    private async Task AssertEachRunHasEveryImageOnceAsync(int photos)
    {
        var perRun = await _stack.QueryAsync(
            "SELECT r.name, (SELECT count(*) FROM predictions p WHERE p.run_id = r.id), (SELECT count(*) FROM failures f WHERE f.run_id = r.id) FROM runs r ORDER BY r.name",
            r => (Name: r.GetString(0), Ok: r.GetInt64(1), Failed: r.GetInt64(2)));
        Assert.Equal([("dpass-efficientnet_tiny", (long)photos, 1L), ("dpass-tiny_b1_v2", (long)photos, 1L)], perRun);
    }
}

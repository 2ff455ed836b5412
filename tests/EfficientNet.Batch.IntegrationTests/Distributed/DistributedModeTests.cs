using System.Net.Http.Json;
using System.Text.Json;
using EfficientNet.Batch.Scheduler.Cli;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// Distributed mode end to end against the real services: RabbitMQ, PostgreSQL and Azurite started by
/// scripts/services.sh, worker processes and the enb CLI started as their own processes.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class DistributedModeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan WorkerStart = TimeSpan.FromSeconds(60);
    private DistributedStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    private static IEnumerable<string> Photos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    /// <summary>Uploads <paramref name="copies"/> copies of every sample photo under a prefix, plus two bad files; returns the good blob names.</summary>
    private async Task<List<string>> UploadCorpusAsync(string prefix, int copies)
    {
        var names = new List<string>();
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var photo in Photos())
            {
                var name = $"{prefix}/set {copy}/{Path.GetFileName(photo)}";
                await _stack.UploadAsync(name, await File.ReadAllBytesAsync(photo));
                names.Add(name);
            }
        }

        await _stack.UploadAsync($"{prefix}/bad/page.jpg", "<html>gone</html>"u8.ToArray());
        await _stack.UploadAsync($"{prefix}/bad/empty.png", []);
        return names;
    }

    private async Task<ChildProcess> StartWorkerAsync()
    {
        var worker = _stack.StartWorker();
        await worker.WaitForOutputAsync("Now listening on", WorkerStart);
        return worker;
    }

    [Fact]
    public async Task Two_workers_label_every_blob_exactly_once_with_the_same_labels_as_embedded_mode()
    {
        var good = await UploadCorpusAsync("photos", copies: 4);
        await using var first = await StartWorkerAsync();
        await using var second = await StartWorkerAsync();

        var (exitCode, text) = await _stack.EnbAsync(
            "submit", $"az://{_stack.Container}/photos", "--model", TestPaths.TestModel, "--shard-size", "3",
            "--error-budget", "0.1", "--run-name", "blobs", "--wait");
        output.WriteLine(text);
        Assert.True(exitCode == ExitCodes.Success, text);

        Assert.Equal(good.Count, await _stack.ScalarAsync("SELECT count(*) FROM predictions"));
        Assert.Equal(2, await _stack.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal(good.Count + 2, await _stack.ScalarAsync("SELECT count(*) FROM images"));
        Assert.Equal(0, await _stack.ScalarAsync("SELECT count(*) FROM shards WHERE status <> 'completed'"));
        var workers = await _stack.ScalarAsync("SELECT count(DISTINCT worker_id) FROM shards");
        Assert.True(workers == 2, $"expected both workers to take shards, got {workers}\n{first.Output}\n{second.Output}");

        // Exact per-image results: the same photo gives the same top-5 as the embedded pipeline on a local copy.
        var embedded = await EmbeddedTop5Async();
        var distributed = await _stack.QueryAsync(
            "SELECT i.key, p.top_indices FROM predictions p JOIN images i ON i.id = p.image_id",
            r => (Key: r.GetString(0), Top: (int[])r.GetValue(1)));
        Assert.All(distributed, row => Assert.Equal(embedded[Path.GetFileName(row.Key)], row.Top));
    }

    [Fact]
    public async Task A_shard_delivered_again_after_its_commit_writes_nothing_twice()
    {
        await UploadCorpusAsync("photos", copies: 1);
        await using var worker = await StartWorkerAsync();
        var (exitCode, text) = await _stack.EnbAsync(
            "submit", $"az://{_stack.Container}/photos", "--model", TestPaths.TestModel, "--shard-size", "4", "--error-budget", "0.5", "--wait");
        Assert.True(exitCode == ExitCodes.Success, text);
        var predictions = await _stack.ScalarAsync("SELECT count(*) FROM predictions");

        // A worker that crashed after committing but before acking: the shard looks unfinished and comes again.
        await _stack.ScalarAsync("UPDATE shards SET status = 'running', leased_at = now() - interval '1 hour' WHERE shard_id = 1 RETURNING 1");
        await _stack.ScalarAsync("UPDATE runs SET status = 'running', finished_at = NULL RETURNING 1");
        await using var scheduler = _stack.StartScheduler("serve", "--urls", "http://127.0.0.1:0");
        await scheduler.WaitForOutputAsync("Re-published shard 1", TimeSpan.FromSeconds(90));

        await Eventually.WaitUntilAsync("the run completed", () => _stack.ScalarAsync("SELECT count(*) FROM runs WHERE status = 'completed'"), n => n == 1, TimeSpan.FromSeconds(120), n => $"{n} completed run(s)");
        Assert.Equal(predictions, await _stack.ScalarAsync("SELECT count(*) FROM predictions"));
        Assert.Equal(2, await _stack.ScalarAsync("SELECT attempts FROM shards WHERE shard_id = 1"));
    }

    [Fact]
    public async Task A_worker_that_joins_mid_run_takes_a_share_of_the_shards()
    {
        const int copies = 40;
        await UploadCorpusAsync("photos", copies);
        // The first worker takes one shard and one image at a time, so the run (140 shards, 10 s and more) outlasts the
        // moment it is frozen below.
        await using var first = _stack.StartWorker(
            ("Pipeline__ShardConcurrency", "1"), ("Pipeline__ImagesInFlightPerShard", "1"), ("Inference__BatchSize", "1"));
        await first.WaitForOutputAsync("Now listening on", WorkerStart);
        var (exitCode, text) = await _stack.EnbAsync(
            "submit", $"az://{_stack.Container}/photos", "--model", TestPaths.TestModel, "--shard-size", "2", "--error-budget", "0.1", "--run-name", "join");
        Assert.True(exitCode == ExitCodes.Success, text);
        var runId = System.Text.RegularExpressions.Regex.Match(text, "^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", System.Text.RegularExpressions.RegexOptions.Multiline).Value;
        Assert.False(string.IsNullOrEmpty(runId), text);

        await Eventually.WaitUntilAsync("2 shards completed", () => _stack.ScalarAsync("SELECT count(*) FROM shards WHERE status = 'completed'"), n => n >= 2, TimeSpan.FromSeconds(120), n => $"{n} completed shard(s)");
        // Frozen while the second worker starts (slow on a busy machine), so the first cannot finish the run alone;
        // the shards it holds unacked stay with it, the rest wait in the queue for the newcomer.
        Faults.Signals.Stop(first);
        var doneBeforeJoin = await _stack.ScalarAsync("SELECT count(*) FROM shards WHERE status = 'completed'");
        await using var second = await StartWorkerAsync();
        await Eventually.WaitUntilAsync("a shard completed by the worker that joined", () => _stack.ScalarAsync("SELECT count(*) FROM shards WHERE status = 'completed'"), n => n > doneBeforeJoin, TimeSpan.FromSeconds(120), n => $"{n} completed shard(s), {doneBeforeJoin} before the join");
        Faults.Signals.Continue(first);
        var (statusCode, status) = await _stack.EnbAsync("status", runId, "--watch");
        output.WriteLine(status);
        Assert.True(statusCode == ExitCodes.Success, status);

        var perWorker = await _stack.QueryAsync("SELECT worker_id, count(*) FROM shards GROUP BY worker_id", r => (r.GetString(0), r.GetInt64(1)));
        var total = await _stack.ScalarAsync("SELECT count(*) FROM shards");
        Assert.True(perWorker.Count == 2 && doneBeforeJoin < total, $"{doneBeforeJoin} of {total} shards done before the join; shards per worker: {string.Join(", ", perWorker)}");
        Assert.Equal(copies * Photos().Count(), await _stack.ScalarAsync("SELECT count(*) FROM predictions"));
    }

    [Fact]
    public async Task A_manifest_run_submitted_before_any_worker_is_kept_labeled_and_completed_by_serve()
    {
        using var dir = new TempDirectory("enb-manifest");
        var listed = Photos().Take(4).ToList();
        foreach (var photo in listed)
        {
            File.Copy(photo, Path.Combine(dir.Path, Path.GetFileName(photo)));
        }

        var manifest = dir.File("corpus.txt");
        await File.WriteAllLinesAsync(manifest, listed.Select(Path.GetFileName)!);
        await using var scheduler = _stack.StartScheduler("serve", "--urls", "http://127.0.0.1:18081");
        await scheduler.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));

        // Submitted before any worker exists: the queue must keep the shards until one starts.
        var (exitCode, text) = await _stack.EnbAsync("submit", $"manifest:{manifest}", "--model", TestPaths.TestModel, "--run-name", "manifest", "--shard-size", "2");
        Assert.True(exitCode == ExitCodes.Success, text);
        await using var worker = await StartWorkerAsync();
        await Eventually.WaitUntilAsync("the run completed", () => _stack.ScalarAsync("SELECT count(*) FROM runs WHERE status = 'completed'"), n => n == 1, TimeSpan.FromSeconds(120), n => $"{n} completed run(s)");
        Assert.Equal(listed.Count, await _stack.ScalarAsync("SELECT count(*) FROM predictions"));

        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:18081") };
        using var run = JsonDocument.Parse(await http.GetStringAsync("/api/runs/manifest"));
        Assert.Equal(listed.Count, run.RootElement.GetProperty("progress").GetProperty("succeeded").GetInt64());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);

        // The worker's own endpoints, on the free port it logged.
        var workerUrl = System.Text.RegularExpressions.Regex.Match(worker.Output, @"Now listening on: (http://127\.0\.0\.1:\d+)").Groups[1].Value;
        using var workerHttp = new HttpClient { BaseAddress = new Uri(workerUrl) };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await workerHttp.GetAsync("/health/live")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await workerHttp.GetAsync("/health/ready")).StatusCode);
        var metrics = await workerHttp.GetStringAsync("/metrics");
        Assert.Contains($"enb_images_total{{status=\"ok\",stage=\"\"}} {listed.Count}", metrics, StringComparison.Ordinal);
        Assert.Contains("enb_batch_size_count", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_services_stop_a_worker_and_a_submit_with_one_line_naming_them()
    {
        var noBroker = _stack.StartWorker(("ConnectionStrings__RabbitMq", "amqp://enb:x@127.0.0.1:1/"), ("Bus__StartTimeoutSeconds", "5"));
        await noBroker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(noBroker.ExitCode == 3, $"exit {noBroker.ExitCode}\n{noBroker.Output}");
        Assert.Contains("error:", noBroker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("enb:x", noBroker.Output, StringComparison.Ordinal);

        var noDatabase = _stack.StartWorker(("ConnectionStrings__Postgres", "Host=127.0.0.1;Port=1;Database=enb;Username=enb;Password=secret-pw"));
        await noDatabase.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(noDatabase.ExitCode == 3, $"exit {noDatabase.ExitCode}\n{noDatabase.Output}");
        Assert.Contains("cannot reach the job database postgres://127.0.0.1:1/enb", noDatabase.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", noDatabase.Output, StringComparison.Ordinal);

        var (exitCode, text) = await _stack.EnbAsync("submit", "/tmp", "--model", TestPaths.TestModel, "--postgres", "Host=127.0.0.1;Port=1;Database=enb;Username=enb;Password=secret-pw");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("postgres://127.0.0.1:1/enb", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", text, StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, int[]>> EmbeddedTop5Async()
    {
        using var dir = new TempDirectory("enb-embedded");
        var (output, error) = (new StringWriter(), new StringWriter());
        var db = dir.File("e.db");
        var exitCode = await CliApplication.RunAsync(["label", TestPaths.SamplePhotos, "--db", db], new CliConsole(output, error, false));
        Assert.True(exitCode == 0, error.ToString());
        var jsonl = dir.File("e.jsonl");
        Assert.Equal(0, await CliApplication.RunAsync(["export", "--db", db, "--out", jsonl], new CliConsole(output, error, false)));
        return File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(
            r => r.GetProperty("key").GetString()!,
            r => r.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("index").GetInt32()).ToArray());
    }
}

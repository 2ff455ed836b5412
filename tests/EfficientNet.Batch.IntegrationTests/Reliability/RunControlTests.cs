using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// Error budget, cancel and retry-failed across two worker processes on the real services: a run over its budget
/// fails with its remaining shards skipped and a non-zero exit naming the reason; <c>cancel</c> stops every worker's
/// shards within seconds (measured); <c>retry-failed</c> re-processes the failed images and nothing else.
/// </summary>
[Collection(DistributedCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class RunControlTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan RunEnd = TimeSpan.FromSeconds(120);

    /// <summary>One image at a time per shard, so a few hundred images last long enough to act on the run mid-way.</summary>
    private static readonly (string, string)[] Throttled =
    [
        ("Pipeline__ShardConcurrency", "2"), ("Pipeline__ImagesInFlightPerShard", "1"), ("Inference__BatchSize", "1"),
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TempDirectory _folder = new("enb-control");
    private DistributedStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync()
    {
        await _stack.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_run_over_its_error_budget_fails_skips_its_remaining_shards_and_submit_exits_non_zero_with_the_reason()
    {
        // Sorted first, the bad files fill the first shards: the budget is spent long before the run could end.
        var bad = WriteFiles(40, i => $"a-bad-{i:D3}.jpg", _ => "<html>moved</html>"u8.ToArray());
        var good = CopyPhotos(copies: 40);
        var (first, second) = (await StartWorkerAsync(Throttled), await StartWorkerAsync(Throttled));

        var clock = Stopwatch.StartNew();
        var (exitCode, text) = await ChildProcess.RunAsync(
            "enb", _stack.Environment, RunEnd, "submit", _folder.Path, "--model", TestPaths.TestModel,
            "--shard-size", "8", "--error-budget", "0.05", "--run-name", "budget", "--wait");
        Log($"submit --wait exited {exitCode} after {clock.Elapsed.TotalSeconds:F1} s:\n{text}");

        Assert.Equal(ExitCodes.ErrorBudgetExceeded, exitCode);
        Assert.Contains("over the error budget of 5.0%", text, StringComparison.Ordinal);
        var run = (await _stack.QueryAsync("SELECT status, status_reason FROM runs", r => (Status: r.GetString(0), Reason: r.GetString(1)))).Single();
        Assert.Equal("failed", run.Status);
        Assert.Contains("over the error budget of 5.0%", run.Reason, StringComparison.Ordinal);

        // Shards in progress stop at their next lease renewal (2 s here); after that nothing moves.
        await QuiesceAsync("SELECT count(*) FROM predictions", RunEnd);
        var shards = await Eventually.WaitUntilAsync(
            "no shard running or pending", ShardCountsAsync, c => c.GetValueOrDefault("running") + c.GetValueOrDefault("pending") == 0, RunEnd, Describe);
        Assert.True(shards.GetValueOrDefault("skipped") > 0, $"no shard was skipped: {Describe(shards)}");
        var labeled = await _stack.ScalarAsync("SELECT count(*) FROM predictions");
        Assert.True(labeled < good, $"every good image was labeled ({labeled}): the budget stopped nothing");
        Log($"VERIFIED: run failed ({run.Reason}); shards {Describe(shards)}; {labeled} of {good} good and "
            + $"{await _stack.ScalarAsync("SELECT count(*) FROM failures")} of {bad} bad images processed before it stopped; both workers alive: {!first.HasExited && !second.HasExited}");
        Assert.False(first.HasExited || second.HasExited);

        // Retrying only the failures would leave the skipped shards unprocessed and then call the run completed: refused.
        var (retryCode, retry) = await ChildProcess.RunAsync("enb", _stack.Environment, RunEnd, "retry-failed", "budget");
        Assert.True(retryCode != ExitCodes.Success && retry.Contains("never processed", StringComparison.Ordinal), retry);
        Assert.Equal("failed", (await _stack.QueryAsync("SELECT status FROM runs", r => r.GetString(0))).Single());
        Log($"VERIFIED: retry-failed refused for a run with skipped shards (exit {retryCode})");
    }

    [Fact]
    public async Task Cancel_stops_the_shards_of_both_workers_within_seconds_and_leaves_nothing_queued()
    {
        var images = CopyPhotos(copies: 300);
        // Renewal every second, and six shards of 400 throttled images: four run at once (2 workers x ShardConcurrency
        // 2) and each lasts 12 s or more even on an idle machine (shards of 128 took 3-4 s in CI, and `enb cancel`
        // itself took up to 7 s to start there, so the cancel could land as they finished). The cancel is sent as soon
        // as both workers hold a shard, so it lands in the middle of the four and each checks its run within a second.
        (string, string)[] renewEverySecond = [.. Throttled, ("Pipeline__LeaseRenewalSeconds", "1")];
        var (first, second) = (await StartWorkerAsync(renewEverySecond), await StartWorkerAsync(renewEverySecond));
        var runId = await SubmitAsync("cancel", shardSize: 400, budget: "0");
        await Eventually.WaitUntilAsync(
            "both workers hold a shard",
            async () => await _stack.ScalarAsync("SELECT count(DISTINCT worker_id) FROM shards WHERE status = 'running'") == 2,
            RunEnd,
            () => Describe(ShardCountsAsync().GetAwaiter().GetResult()));
        var before = await ShardCountsAsync();

        var clock = Stopwatch.StartNew();
        var (exitCode, text) = await _stack.EnbAsync("cancel", runId.ToString());
        var cancelReturned = clock.Elapsed;
        Assert.True(exitCode == ExitCodes.Success, text);
        Log($"INJECTED: enb cancel (returned in {cancelReturned.TotalSeconds:F1} s) with shards {Describe(before)}");

        await QuiesceAsync("SELECT count(*) FROM predictions", RunEnd);
        // From the database's own timestamps (one clock: workers and CLI run on this machine): the last shard commit
        // after the run was marked cancelled. Starting the CLI takes seconds on a busy 2-core machine; that is not the stop.
        var stoppedAfter = TimeSpan.FromSeconds(Math.Max(0, await SecondsAsync(
            "SELECT EXTRACT(EPOCH FROM (SELECT max(completed_at) FROM shards) - (SELECT finished_at FROM runs))")));
        await Eventually.WaitUntilAsync(
            "the process-shard queue is drained", _stack.QueueDepthsAsync, d => d.GetValueOrDefault("process-shard") == 0, RunEnd, RabbitMqQueues.Describe);
        // At most the shards in flight at the cancel (2 workers x ShardConcurrency 2) may commit after it; a queued one
        // that ran anyway would push this over. A count, not a time limit: on a loaded machine a commit can be late.
        var committedAfterCancel = await _stack.ScalarAsync(
            "SELECT count(*) FROM shards WHERE status = 'completed' AND completed_at > (SELECT finished_at FROM runs)");
        var after = await Eventually.WaitUntilAsync(
            "no shard running or pending", ShardCountsAsync, c => c.GetValueOrDefault("running") + c.GetValueOrDefault("pending") == 0, RunEnd, Describe);
        var labeled = await _stack.ScalarAsync("SELECT count(*) FROM predictions");
        var stoppedMidShard = Regex.Count(first.Output + second.Output, "stopped: its run has ended");

        Assert.Equal("cancelled", (await _stack.QueryAsync("SELECT status FROM runs", r => r.GetString(0))).Single());
        Assert.True(labeled < images, "the whole run finished before the cancel took effect");
        Assert.True(stoppedMidShard >= 1, $"no shard in progress was stopped (cancel returned in {cancelReturned.TotalSeconds:F1} s):\n{first.Output}\n{second.Output}");
        Assert.True(committedAfterCancel <= 4, $"{committedAfterCancel} shards committed after the cancel, more than the 4 in flight at it; shards {Describe(after)}");
        Log($"VERIFIED: {committedAfterCancel} shard(s) committed after the run was marked cancelled (the last {stoppedAfter.TotalSeconds:F1} s after it); {stoppedMidShard} shard(s) stopped mid-way, "
            + $"shards {Describe(after)}; {labeled} of {images} images labeled; process-shard queue empty");
    }

    [Fact]
    public async Task Retry_failed_re_processes_only_the_failed_images()
    {
        var good = CopyPhotos(copies: 10);
        var photo = File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, "rocket.jpg"));
        var bad = WriteFiles(10, i => $"cut-{i:D2}.jpg", _ => photo[..(photo.Length / 2)]);
        await using var first = await StartWorkerAsync();
        await using var second = await StartWorkerAsync();
        var runId = await SubmitAsync("retry", shardSize: 8, budget: "0.5", wait: true);

        Assert.Equal(bad, await _stack.ScalarAsync("SELECT count(*) FROM failures"));
        var failed = await _stack.QueryAsync("SELECT image_id FROM failures ORDER BY image_id", r => r.GetInt64(0));
        var lastShard = await _stack.ScalarAsync("SELECT max(shard_id) FROM shards");
        var labeledBefore = await PredictionFingerprintsAsync();
        Log($"first pass: {labeledBefore.Count} labeled, {failed.Count} failed (truncated JPEGs) in {lastShard} shards");

        // The operator fixes the files, then retries the run's failures.
        foreach (var file in Directory.EnumerateFiles(_folder.Path, "cut-*.jpg"))
        {
            File.WriteAllBytes(file, photo);
        }

        var (exitCode, text) = await _stack.EnbAsync("retry-failed", runId.ToString());
        Assert.True(exitCode == ExitCodes.Success, text);
        Log(text.Trim());
        var (watchCode, watch) = await ChildProcess.RunAsync("enb", _stack.Environment, RunEnd, "status", runId.ToString(), "--watch");
        Assert.True(watchCode == ExitCodes.Success, watch);

        var retried = await _stack.QueryAsync($"SELECT unnest(image_ids) FROM shards WHERE shard_id > {lastShard} ORDER BY 1", r => r.GetInt64(0));
        var labeledAfter = await PredictionFingerprintsAsync();
        Assert.Equal(failed, retried);
        Assert.Equal(0, await _stack.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal(good + bad, labeledAfter.Count);
        Assert.All(labeledBefore, p => Assert.Equal(p.Value, labeledAfter[p.Key]));
        Assert.Equal(0, await _stack.ScalarAsync($"SELECT count(*) FROM shards WHERE shard_id <= {lastShard} AND attempts <> 1"));
        Log($"VERIFIED: retry-failed made {await _stack.ScalarAsync($"SELECT count(*) FROM shards WHERE shard_id > {lastShard}")} new shard(s) holding exactly the {failed.Count} failed images; "
            + $"the {labeledBefore.Count} earlier predictions are unchanged (same created_at), no earlier shard ran again; now {labeledAfter.Count} labeled, 0 failed");
    }

    // ------------------------------------------------------------------------------------------------------------

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");

    private int CopyPhotos(int copies)
    {
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var photo in photos)
            {
                File.Copy(photo, Path.Combine(_folder.Path, $"c{copy:D3}-{Path.GetFileName(photo)}"));
            }
        }

        return copies * photos.Count;
    }

    private int WriteFiles(int count, Func<int, string> name, Func<int, byte[]> content)
    {
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(_folder.Path, name(i)), content(i));
        }

        return count;
    }

    private async Task<ChildProcess> StartWorkerAsync(params (string, string)[] settings)
    {
        var worker = _stack.StartWorker(settings);
        await worker.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        return worker;
    }

    private async Task<Guid> SubmitAsync(string name, int shardSize, string budget, bool wait = false)
    {
        string[] args = ["submit", _folder.Path, "--model", TestPaths.TestModel, "--shard-size", shardSize.ToString(CultureInfo.InvariantCulture), "--error-budget", budget, "--run-name", name];
        var (exitCode, text) = await ChildProcess.RunAsync("enb", _stack.Environment, RunEnd, wait ? [.. args, "--wait"] : args);
        Assert.True(exitCode == ExitCodes.Success, text);
        return (await _stack.QueryAsync($"SELECT id FROM runs WHERE name = '{name}'", r => r.GetGuid(0))).Single();
    }

    private async Task<Dictionary<string, long>> ShardCountsAsync() =>
        (await _stack.QueryAsync("SELECT status, count(*) FROM shards GROUP BY status", r => (r.GetString(0), r.GetInt64(1)))).ToDictionary();

    private static string Describe(Dictionary<string, long> counts) => string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    private async Task<double> SecondsAsync(string sql) =>
        (await _stack.QueryAsync(sql, r => r.IsDBNull(0) ? 0.0 : Convert.ToDouble(r.GetValue(0), CultureInfo.InvariantCulture))).Single();

    private async Task<Dictionary<long, DateTime>> PredictionFingerprintsAsync() =>
        (await _stack.QueryAsync("SELECT image_id, created_at FROM predictions", r => (r.GetInt64(0), r.GetDateTime(1)))).ToDictionary();

    /// <summary>
    /// Polls a count every 100 ms until it has not changed for 4 s; returns how long after the call it last changed
    /// (zero if it never did).
    /// </summary>
    private async Task<TimeSpan> QuiesceAsync(string sql, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = await _stack.ScalarAsync(sql);
        var changedAt = TimeSpan.Zero;
        while (clock.Elapsed - changedAt < TimeSpan.FromSeconds(4))
        {
            Assert.True(clock.Elapsed < timeout, $"'{sql}' still changing after {timeout.TotalSeconds:F0} s; last value {last}, changed {(clock.Elapsed - changedAt).TotalSeconds:F1} s ago");
            await Task.Delay(100);
            var now = await _stack.ScalarAsync(sql);
            if (now != last)
            {
                (last, changedAt) = (now, clock.Elapsed);
            }
        }

        return changedAt;
    }
}

using System.Net;
using System.Text.RegularExpressions;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.IntegrationTests.Metrics;

/// <summary>
/// A worker's and the scheduler service's /metrics after a real distributed run, scraped and parsed as Prometheus
/// would: the counts equal what the run did.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private DistributedStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Worker_and_scheduler_metrics_count_the_images_stages_shards_and_queue_of_a_run()
    {
        using var dir = new TempDirectory("enb-metrics");
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Take(5).ToList();
        foreach (var photo in photos)
        {
            File.Copy(photo, Path.Combine(dir.Path, Path.GetFileName(photo)));
        }

        await File.WriteAllTextAsync(dir.File("page.jpg"), "<html>gone</html>");
        var manifest = dir.File("corpus.txt");
        await File.WriteAllLinesAsync(manifest, photos.Select(Path.GetFileName).Append("page.jpg")!);

        var schedulerUrl = $"http://127.0.0.1:{FreePort.Next()}";
        await using var scheduler = _stack.StartScheduler("serve", "--urls", schedulerUrl);
        await scheduler.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        await using var worker = _stack.StartWorker();
        await worker.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));

        var (exitCode, text) = await _stack.EnbAsync("submit", $"manifest:{manifest}", "--model", TestPaths.TestModel, "--shard-size", "2", "--error-budget", "0.5", "--wait");
        Assert.True(exitCode == ExitCodes.Success, text);

        var workerUrl = Regex.Match(worker.Output, @"Now listening on: (http://127\.0\.0\.1:\d+)").Groups[1].Value;
        using var http = new HttpClient();
        // The run is complete once its last shard committed; the worker counts that shard just after: wait for it.
        var fromWorker = await Eventually.WaitUntilAsync(
            "the worker's metrics count all 3 shards and none in flight",
            async () => PrometheusText.Parse(await http.GetStringAsync($"{workerUrl}/metrics")),
            m => m.Samples.Any(x => x.Name == "enb_shards_total" && x.Labels.GetValueOrDefault("outcome") == "completed" && x.Value == 3) && m.Samples.Any(x => x.Name == "enb_shards_in_flight" && x.Value == 0),
            TimeSpan.FromSeconds(30),
            m => string.Join(", ", m.Samples.Where(x => x.Name is "enb_shards_total" or "enb_shards_in_flight").Select(x => $"{x.Name}{{{string.Join(",", x.Labels.Select(l => $"{l.Key}={l.Value}"))}}}={x.Value}")));
        Assert.Equal(5, fromWorker.Value("enb_images_total", ("status", "ok")));
        Assert.Equal(1, fromWorker.Value("enb_images_total", ("status", "failed"), ("stage", "decode")));
        Assert.Equal(3, fromWorker.Value("enb_shards_total", ("outcome", "completed")));
        Assert.Equal(0, fromWorker.Value("enb_shards_in_flight"));
        Assert.Equal(6, fromWorker.Value("enb_stage_seconds_count", ("stage", "fetch")));
        Assert.Equal(6, fromWorker.Value("enb_stage_seconds_count", ("stage", "decode")));
        Assert.Equal(3, fromWorker.Value("enb_stage_seconds_count", ("stage", "write")));
        var batches = fromWorker.Value("enb_stage_seconds_count", ("stage", "infer"));
        Assert.InRange(batches, 1, 5);
        Assert.Equal(batches, fromWorker.Value("enb_batch_size_count"));
        Assert.Equal(5, fromWorker.Value("enb_batch_size_sum"));
        Assert.Equal(1, fromWorker.Value("enb_execution_provider", ("provider", "CPU")));
        Assert.True(fromWorker.Value("enb_stage_seconds_sum", ("stage", "decode")) > 0);

        // The scheduler reads the queue every 5 s from the management API, whose figures lag: wait for a reading that
        // sees the worker attached and the queue drained.
        var fromScheduler = await Eventually.WaitUntilAsync(
            "the scheduler's metrics show 1 consumer and 0 messages on process-shard",
            async () => PrometheusText.Parse(await http.GetStringAsync($"{schedulerUrl}/metrics")),
            m => m.Samples.Any(x => x.Name == "enb_queue_consumers" && x.Labels.GetValueOrDefault("queue") == "process-shard" && x.Value == 1)
                && m.Samples.Any(x => x.Name == "enb_queue_messages" && x.Labels.GetValueOrDefault("queue") == "process-shard" && x.Value == 0),
            TimeSpan.FromSeconds(60),
            m => string.Join(", ", m.Samples.Where(x => x.Name is "enb_queue_consumers" or "enb_queue_messages").Select(x => $"{x.Name}{{{string.Join(",", x.Labels.Select(l => $"{l.Key}={l.Value}"))}}}={x.Value}")));
        Assert.Equal(0, fromScheduler.Value("enb_queue_messages", ("queue", "process-shard")));
        Assert.Equal(1, fromScheduler.Value("enb_queue_consumers", ("queue", "process-shard")));
        Assert.Contains(fromScheduler.Samples, s => s.Name == "enb_runs_active");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{schedulerUrl}/health/ready")).StatusCode);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// Bad input at scale: a generated corpus of ~3,000 files (<see cref="MixedCorpus"/>: odd but valid images and ~9%
/// bad files) through the embedded <c>label</c> and through two distributed workers. The promise: every bad file is
/// exactly one failures row with its stage and reason, every valid file is labeled, nothing crashes, and each
/// process's peak RSS stays under the cap that its limits imply.
/// </summary>
[Collection(DistributedCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class BadInputTests(MixedCorpusFixture fixture, ITestOutputHelper output) : IClassFixture<MixedCorpusFixture>
{
    /// <summary>
    /// The memory cap these limits imply for one process: the runtime, ONNX Runtime and libvips (~250-300 MB
    /// measured with the tiny model) plus, per decode thread, one image of at most MaxPixels x 3 bytes (150 MB) and
    /// the fetched bytes (MaxImageBytes), plus bounded channels of 224x224 tensors. Without MaxPixels the bomb alone
    /// would decode to 144 MB (and 4.3 GB for the forged header).
    /// </summary>
    private const long RssCapBytes = 640L * 1024 * 1024;

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The limits both modes run with (environment variables, as operators set them).</summary>
    private static readonly (string Key, string Value)[] Limits =
    [
        ("Pipeline__MaxImageBytes", MixedCorpus.MaxImageBytes.ToString(CultureInfo.InvariantCulture)),
        ("Preprocessing__MaxPixels", MixedCorpus.MaxPixels.ToString(CultureInfo.InvariantCulture)),
        ("Pipeline__DecodeParallelism", "1"),
        ("Inference__IntraOpThreads", "1"),
    ];

    private readonly MixedCorpus _corpus = fixture.Corpus;

    [Fact]
    public async Task Embedded_label_labels_every_valid_file_and_records_each_bad_file_once_with_stage_and_reason()
    {
        output.WriteLine(fixture.Description);
        using var work = new TempDirectory("enb-mixed-db");
        var db = work.File("mixed.db");
        var environment = Limits.ToDictionary(l => l.Key, l => l.Value);

        var clock = Stopwatch.StartNew();
        await using var label = ChildProcess.Start("enb", environment, "label", _corpus.Folder, "--model", TestPaths.TestModel, "--db", db, "--error-budget", "0.5");
        await using var sampler = new RssSampler([label.Id], TimeSpan.FromMilliseconds(250));
        await label.WaitForExitAsync(RunTimeout);
        await sampler.StopAsync();
        output.WriteLine(label.Output);
        Assert.True(label.ExitCode == ExitCodes.Success, label.Output);
        var elapsed = clock.Elapsed;

        var rows = await ExportAsync(environment, "--db", db, "--run", "latest");
        var expected = _corpus.ListedByFolder.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        Verify(expected, rows);
        var peak = sampler.Peaks[label.Id];
        output.WriteLine($"VERIFIED (embedded label): {rows.Count} rows for {expected.Count} listed files in {elapsed.TotalSeconds:F1} s "
            + $"({expected.Count / elapsed.TotalSeconds:F0} files/s); peak RSS {peak / 1e6:F0} MB (cap {RssCapBytes / 1e6:F0} MB); "
            + $"RSS over time: {RssSampler.Describe(sampler.Samples[label.Id])}");
        Assert.True(peak < RssCapBytes, $"peak RSS {peak / 1e6:F0} MB is over the cap of {RssCapBytes / 1e6:F0} MB");
    }

    [Fact]
    public async Task Two_workers_label_a_manifest_of_the_mixed_corpus_and_record_each_bad_file_once_with_stage_and_reason()
    {
        output.WriteLine(fixture.Description);
        await using var stack = await DistributedStack.CreateAsync();
        Assert.Equal(0, (await stack.EnbAsync("migrate")).ExitCode);
        await using var first = stack.StartWorker(Limits);
        await using var second = stack.StartWorker(Limits);
        await first.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        await second.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        var manifest = _corpus.WriteManifest();

        var clock = Stopwatch.StartNew();
        await using var sampler = new RssSampler([first.Id, second.Id], TimeSpan.FromMilliseconds(250));
        var (exitCode, text) = await ChildProcess.RunAsync(
            "enb", stack.Environment, RunTimeout, "submit", $"manifest:{manifest}", "--model", TestPaths.TestModel,
            "--shard-size", "64", "--error-budget", "0.5", "--run-name", "mixed", "--wait");
        await sampler.StopAsync();
        output.WriteLine(text);
        Assert.True(exitCode == ExitCodes.Success, $"{text}\n{first.Output}\n{second.Output}");
        var elapsed = clock.Elapsed;

        var rows = await ExportAsync(stack.Environment, "--run", "mixed");
        Verify(_corpus.Files, rows);
        Assert.Equal(rows.Count(r => r.Value.Status == "failed"), await stack.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT count(*) FROM (SELECT image_id FROM failures GROUP BY run_id, image_id HAVING count(*) > 1) d"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT count(*) FROM predictions p JOIN failures f USING (run_id, image_id)"));
        Assert.Equal(2, await stack.ScalarAsync("SELECT count(DISTINCT worker_id) FROM shards"));
        Assert.False(first.HasExited || second.HasExited, "a worker crashed");

        foreach (var worker in new[] { first, second })
        {
            var peak = sampler.Peaks[worker.Id];
            output.WriteLine($"worker pid {worker.Id}: peak RSS {peak / 1e6:F0} MB (cap {RssCapBytes / 1e6:F0} MB); RSS over time: {RssSampler.Describe(sampler.Samples[worker.Id])}");
            Assert.True(peak < RssCapBytes, $"worker {worker.Id}: peak RSS {peak / 1e6:F0} MB is over the cap of {RssCapBytes / 1e6:F0} MB");
        }

        output.WriteLine($"VERIFIED (2 workers, manifest): {rows.Count} rows for {_corpus.Files.Count} files in {elapsed.TotalSeconds:F1} s; both workers alive");
    }

    /// <summary>Every expected file has exactly one row: labeled, or failed at its stage with its reason; no other rows.</summary>
    private void Verify(IReadOnlyDictionary<string, Expectation> expected, Dictionary<string, ExportRow> rows)
    {
        var problems = new List<string>();
        foreach (var (key, expectation) in expected)
        {
            if (!rows.TryGetValue(key, out var row))
            {
                problems.Add($"{key} ({expectation.Kind}): no row");
            }
            else if (expectation.Labeled && row.Status != "ok")
            {
                problems.Add($"{key} ({expectation.Kind}): expected labeled, got {row.Stage}: {row.Reason}");
            }
            else if (!expectation.Labeled && (row.Stage != expectation.Stage || row.Reason?.Contains(expectation.Reason!, StringComparison.Ordinal) != true))
            {
                problems.Add($"{key} ({expectation.Kind}): expected {expectation.Stage}: '{expectation.Reason}', got {row.Status} {row.Stage}: {row.Reason}");
            }
        }

        problems.AddRange(rows.Keys.Where(k => !expected.ContainsKey(k)).Select(k => $"{k}: a row for a file that should not be in the run"));
        Assert.True(problems.Count == 0, $"{problems.Count} mismatches:\n{string.Join('\n', problems.Take(40))}");

        foreach (var kind in expected.Values.Where(e => !e.Labeled).GroupBy(e => (e.Kind, e.Stage)).OrderBy(g => g.Key.Kind, StringComparer.Ordinal))
        {
            var example = rows.First(r => expected[r.Key].Kind == kind.Key.Kind).Value.Reason;
            output.WriteLine($"  {kind.Count(),4} x {kind.Key.Kind}: failed at {kind.Key.Stage}, e.g. \"{example}\"");
        }

        output.WriteLine($"  {expected.Values.Count(e => e.Labeled),4} valid files labeled ({string.Join(", ", expected.Values.Where(e => e.Labeled).GroupBy(e => e.Kind).Select(g => $"{g.Key} {g.Count()}"))})");
    }

    private static async Task<Dictionary<string, ExportRow>> ExportAsync(IReadOnlyDictionary<string, string> environment, params string[] selection)
    {
        using var dir = new TempDirectory("enb-export");
        var file = dir.File("rows.jsonl");
        var (exitCode, text) = await ChildProcess.RunAsync("enb", environment, TimeSpan.FromMinutes(2), ["export", .. selection, "--format", "jsonl", "--out", file]);
        Assert.True(exitCode == ExitCodes.Success, text);
        var rows = new Dictionary<string, ExportRow>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(file))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var error = root.GetProperty("error");
            var row = new ExportRow(
                root.GetProperty("status").GetString()!,
                error.ValueKind == JsonValueKind.Object ? error.GetProperty("stage").GetString() : null,
                error.ValueKind == JsonValueKind.Object ? error.GetProperty("reason").GetString() : null);
            Assert.True(rows.TryAdd(root.GetProperty("key").GetString()!, row), $"two rows for {root.GetProperty("key")}");
        }

        return rows;
    }

    private sealed record ExportRow(string Status, string? Stage, string? Reason);
}

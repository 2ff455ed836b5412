using System.Text.Json;
using EfficientNet.Batch.Scheduler.Cli;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// The Noisy-Student workflow in distributed mode: teacher passes published to a worker process over RabbitMQ, images
/// in Azurite, predictions (with float16 full distributions) in PostgreSQL, selection and export by the enb CLI.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class PseudoLabelDistributedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private DistributedStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    private async Task<string> EnbAsync(params string[] args)
    {
        var (exitCode, text) = await _stack.EnbAsync(args);
        output.WriteLine(text);
        Assert.True(exitCode == ExitCodes.Success, $"enb {string.Join(' ', args)}: exit {exitCode}\n{text}");
        return text;
    }

    [Fact]
    public async Task Workers_run_both_generations_teacher_passes_and_the_set_exports_blob_uris()
    {
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).ToList();
        foreach (var photo in photos)
        {
            await _stack.UploadAsync($"corpus/{Path.GetFileName(photo)}", await File.ReadAllBytesAsync(photo));
        }

        await using var worker = _stack.StartWorker();
        await worker.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        await EnbAsync(
            "pseudo-label", "teach", $"az://{_stack.Container}/corpus", "--model", TestPaths.TestModel, "--full", "--distributed",
            "--wait", "--shard-size", "3", "--run-name", "teacher-1");
        Assert.Equal(photos.Count, await _stack.ScalarAsync(
            "SELECT count(*) FROM predictions WHERE octet_length(full_probabilities) = 2000 AND cardinality(top_indices) = 10"));

        await EnbAsync(
            "pseudo-label", "select", "--run", "teacher-1", "--per-class", "3", "--min-confidence", "0", "--mode", "soft", "--name", "gen1");
        using var temp = new TempDirectory("enb-pseudo-dist");
        var manifest = temp.File("gen1.jsonl");
        await EnbAsync("pseudo-label", "export", "--set", "gen1", "--format", "jsonl", "--out", manifest);
        var rows = File.ReadAllLines(manifest).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.StartsWith($"az://{_stack.Container}/corpus/", r.GetProperty("uri").GetString(), StringComparison.Ordinal));
        Assert.Equal(await _stack.ScalarAsync("SELECT total_samples FROM pseudo_label_sets WHERE name = 'gen1'"), rows.Sum(r => r.GetProperty("copies").GetInt64()));

        await EnbAsync("pseudo-label", "teach", "set:gen1", "--model", TestPaths.TestModel, "--distributed", "--wait", "--run-name", "teacher-2");
        Assert.Equal(rows.Count, await _stack.ScalarAsync(
            "SELECT count(*) FROM predictions p JOIN runs r ON r.id = p.run_id WHERE r.name = 'teacher-2' AND r.kind = 'teacher'"));
        await EnbAsync("pseudo-label", "select", "--run", "teacher-2", "--per-class", "3", "--min-confidence", "0", "--name", "gen2");
        Assert.Equal(2, await _stack.ScalarAsync("SELECT generation FROM pseudo_label_sets WHERE name = 'gen2'"));
        var compare = await EnbAsync("pseudo-label", "compare", "gen1", "gen2");
        Assert.Contains("labels changed: 0", compare, StringComparison.Ordinal);
    }
}

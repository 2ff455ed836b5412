using System.Text.Json;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Passes;

/// <summary>
/// Multi-model passes and ensemble teachers through the embedded CLI (SQLite): <c>label --model a --model b</c> and
/// <c>pseudo-label teach --model a --model b --ensemble ...</c> over the sample photos and a few bad files.
/// </summary>
public sealed class MultiModelPassTests : IDisposable
{
    private readonly TempDirectory _dir = new("enb-pass");

    private string Corpus => _dir.File("corpus");

    private string Database => _dir.File("enb.db");

    public void Dispose() => _dir.Dispose();

    private async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync([.. args, "--db", Database], new CliConsole(output, error, isInteractive: false));
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Photos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    private void WriteCorpus()
    {
        Directory.CreateDirectory(Corpus);
        foreach (var photo in Photos())
        {
            File.Copy(Path.Combine(TestPaths.SamplePhotos, photo), Path.Combine(Corpus, photo));
        }

        File.WriteAllBytes(Path.Combine(Corpus, "empty.jpg"), []);
        File.WriteAllText(Path.Combine(Corpus, "page.jpg"), "<html><body>404 not found</body></html>");
    }

    private async Task<Dictionary<string, JsonElement>> ExportAsync(string run)
    {
        var path = _dir.File($"{run}.jsonl");
        var (exitCode, _, error) = await RunAsync("export", "--run", run, "--format", "jsonl", "--out", path);
        Assert.True(exitCode == ExitCodes.Success, error);
        return File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement).ToDictionary(r => r.GetProperty("key").GetString()!);
    }

    private static int[] Top(JsonElement row) => row.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("index").GetInt32()).ToArray();

    [Fact]
    public async Task A_two_model_pass_gives_each_run_its_own_presets_labels_and_every_bad_file_a_failure_in_both()
    {
        WriteCorpus();
        var second = PassModels.WriteSecond(_dir);
        var (exitCode, output, error) = await RunAsync(
            "label", Corpus, "--model", PassModels.First, "--model", second, "--run-name", "pass", "--shard-size", "3", "--error-budget", "0.5");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("Run pass-efficientnet_tiny completed", output, StringComparison.Ordinal);
        Assert.Contains("Run pass-tiny_b1_v2 completed", output, StringComparison.Ordinal);

        // Each run: one row per image (exactly once), its model's preset's top-5 as PyTorch computes it, both bad files failed.
        (exitCode, _, error) = await RunAsync("export", "--run", "pass-tiny_b1_v2", "--pass", "--format", "jsonl", "--out", _dir.File("night.jsonl"));
        Assert.True(exitCode == ExitCodes.Success, error);
        foreach (var (run, preset) in new[] { ("pass-efficientnet_tiny", PassModels.FirstPreset), ("pass-tiny_b1_v2", PassModels.SecondPreset) })
        {
            var rows = File.ReadAllLines(_dir.File($"night.{run}.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)
                .ToDictionary(r => r.GetProperty("key").GetString()!);
            var reference = PassModels.ReferenceTop5(preset);
            Assert.Equal(Photos().Length + 2, rows.Count);
            Assert.All(Photos(), photo => Assert.Equal(reference[photo], Top(rows[photo])));
            Assert.All(new[] { "empty.jpg", "page.jpg" }, bad => Assert.Equal("failed", rows[bad].GetProperty("status").GetString()));
        }

        (exitCode, output, _) = await RunAsync("status", "pass-tiny_b1_v2");
        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("(runs pass-efficientnet_tiny, pass-tiny_b1_v2)", output, StringComparison.Ordinal);
        (_, output, _) = await RunAsync("runs");
        var passColumns = output.Split('\n').Where(l => l.Contains("pass-", StringComparison.Ordinal)).Select(l => l.TrimEnd().Split(' ')[^1]).Distinct().ToArray();
        Assert.True(passColumns is [{ Length: 8 }], output);
    }

    [Fact]
    public async Task The_same_model_twice_or_a_spec_that_fails_to_load_plans_nothing_and_exits_3_with_one_line()
    {
        WriteCorpus();
        var (exitCode, _, error) = await RunAsync("label", Corpus, "--model", PassModels.First, "--model", PassModels.First);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("the same model is given twice", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));

        var broken = PassModels.WriteSecond(_dir);
        File.WriteAllText(Path.ChangeExtension(broken, ".json"), "{ \"name\": ");
        (exitCode, _, error) = await RunAsync("label", Corpus, "--model", PassModels.First, "--model", broken);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Single(error.Trim().Split('\n'));

        var (_, runs, _) = await RunAsync("runs");
        Assert.Contains("no runs yet", runs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ensemble_teachers_with_different_label_files_exit_3_naming_the_difference()
    {
        WriteCorpus();
        var relabeled = PassModels.WriteSecond(_dir, string.Join('\n', Enumerable.Range(0, 1000).Select(i => $"class {i}")));
        var (exitCode, _, error) = await RunAsync("pseudo-label", "teach", Corpus, "--model", PassModels.First, "--model", relabeled);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("differ in label space", error, StringComparison.Ordinal);
        Assert.Contains("no runs yet", (await RunAsync("runs")).Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EnsembleMethod.Mean)]
    [InlineData(EnsembleMethod.Geometric)]
    public async Task An_ensemble_teachers_soft_labels_are_the_mean_of_each_teacher_run_alone(string method)
    {
        var second = PassModels.WriteSecond(_dir);
        var (exitCode, output, error) = await RunAsync(
            "pseudo-label", "teach", TestPaths.SamplePhotos, "--model", PassModels.First, "--model", second, "--ensemble", method,
            "--topk", "5", "--run-name", "ensemble", "--batch-size", "4");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{output}\n{error}");

        // Independently: each teacher alone on each photo, then the mean written out here.
        var expected = await IndependentEnsembleAsync(method, PassModels.First, second);
        var rows = await ExportAsync("ensemble");
        Assert.Equal(Photos().Length, rows.Count);
        foreach (var photo in Photos())
        {
            var labels = rows[photo].GetProperty("labels").EnumerateArray().ToArray();
            var (top, _) = ClassScores.TopK(expected[photo], 5);
            Assert.Equal(top, labels.Select(l => l.GetProperty("index").GetInt32()).ToArray());
            Assert.All(labels, l => Assert.Equal(expected[photo][l.GetProperty("index").GetInt32()], l.GetProperty("p").GetDouble(), 6));
        }

        // The set's lineage names both teachers and their SHA-256.
        (exitCode, output, error) = await RunAsync(
            "pseudo-label", "select", "--run", "ensemble", "--per-class", "1", "--min-confidence", "0", "--name", "ens1", "--seed", "1");
        Assert.True(exitCode == ExitCodes.Success, $"{output}\n{error}");
        Assert.Contains($"{method} of efficientnet_tiny_random, efficientnet_tiny_b1_v2", output, StringComparison.Ordinal);
        var stats = _dir.File("ens1.jsonl");
        Assert.Equal(ExitCodes.Success, (await RunAsync("pseudo-label", "export", "--set", "ens1", "--format", "jsonl", "--out", stats)).ExitCode);
        using var lineage = JsonDocument.Parse(File.ReadAllText(stats + ".stats.json"));
        var hashes = lineage.RootElement.GetProperty("teacher").GetProperty("sha256").GetString()!.Split(',');
        Assert.Equal([(await Sha256Async(PassModels.First)).ToLowerInvariant(), (await Sha256Async(second)).ToLowerInvariant()], hashes);
    }

    private static async Task<string> Sha256Async(string path) => await global::EfficientNet.Batch.Storage.Models.ModelFiles.Sha256Async(path, CancellationToken.None);

    private static async Task<Dictionary<string, float[]>> IndependentEnsembleAsync(string method, params string[] models)
    {
        var inference = new InferenceOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, BatchSize = 1 };
        var probabilities = Photos().ToDictionary(p => p, _ => new List<float[]>());
        foreach (var path in models)
        {
            await using var model = ModelRepository.Load(path, inference, new PreprocessingOptions(), NullLoggerFactory.Instance);
            foreach (var photo in Photos())
            {
                var tensor = new float[model.Preprocessor.TensorLength];
                model.Preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, photo)), tensor);
                probabilities[photo].Add((await model.Batcher.InferAsync(tensor, CancellationToken.None)).Probabilities);
            }
        }

        return probabilities.ToDictionary(p => p.Key, p => Combine(method, p.Value));
    }

    /// <summary>The combination written out from its definition (not <see cref="EnsembleMethod.Combine"/>).</summary>
    private static float[] Combine(string method, List<float[]> teachers)
    {
        var classes = teachers[0].Length;
        if (method == EnsembleMethod.Mean)
        {
            return Enumerable.Range(0, classes).Select(c => (float)teachers.Average(t => (double)t[c])).ToArray();
        }

        var geometric = Enumerable.Range(0, classes).Select(c => Math.Pow(teachers.Aggregate(1.0, (product, t) => product * t[c]), 1.0 / teachers.Count)).ToArray();
        var total = geometric.Sum();
        return geometric.Select(g => (float)(g / total)).ToArray();
    }
}

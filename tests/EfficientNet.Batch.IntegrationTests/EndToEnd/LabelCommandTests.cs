using System.Text.Json;
using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.IntegrationTests.EndToEnd;

/// <summary>The embedded <c>label</c> command end to end: real files, the real model, a real SQLite file, then <c>export</c>.</summary>
public sealed class LabelCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("enb-label");

    private string Corpus => _dir.File("corpus with spaces/ünïcode");

    private string Database => _dir.File("results.db");

    public void Dispose() => _dir.Dispose();

    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync(args, new CliConsole(output, error, isInteractive: false));
        return (exitCode, output.ToString(), error.ToString());
    }

    private void CopyPhotos()
    {
        Directory.CreateDirectory(Path.Combine(Corpus, "nested folder"));
        foreach (var photo in Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)))
        {
            File.Copy(photo, Path.Combine(Corpus, Path.GetFileName(photo)));
        }

        File.Copy(Path.Combine(TestPaths.SamplePhotos, "china.jpg"), Path.Combine(Corpus, "nested folder", "Pékin copy.jpg"));
    }

    private Dictionary<string, string> WriteBadFiles()
    {
        var jpeg = File.ReadAllBytes(Path.Combine(TestPaths.SamplePhotos, "china.jpg"));
        var bad = new Dictionary<string, byte[]>
        {
            ["empty.jpg"] = [],
            ["truncated.jpg"] = jpeg[..(jpeg.Length / 3)],
            ["random.png"] = Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) % 251)).ToArray(),
            ["page.jpg"] = "<html><body>404 not found</body></html>"u8.ToArray(),
        };
        foreach (var (name, bytes) in bad)
        {
            File.WriteAllBytes(Path.Combine(Corpus, name), bytes);
        }

        return bad.Keys.ToDictionary(k => k, k => k);
    }

    [Fact]
    public async Task Labeling_photos_and_bad_files_gives_an_ok_row_per_photo_and_a_failure_row_with_a_reason_per_bad_file()
    {
        CopyPhotos();
        var bad = WriteBadFiles();
        File.WriteAllText(Path.Combine(Corpus, "notes.txt"), "not an image extension: skipped");

        var (exitCode, output, error) = await RunAsync("label", Corpus, "--db", Database, "--error-budget", "0.5", "--shard-size", "3", "--run-name", "mixed");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("Run mixed completed", output, StringComparison.Ordinal);

        var exported = _dir.File("out/labels.jsonl");
        (exitCode, _, error) = await RunAsync("export", "--db", Database, "--run", "mixed", "--format", "jsonl", "--out", exported);
        Assert.True(exitCode == ExitCodes.Success, error);

        var rows = File.ReadAllLines(exported).Select(line => JsonDocument.Parse(line).RootElement).ToDictionary(r => r.GetProperty("key").GetString()!);
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos).Count(f => !f.EndsWith(".md", StringComparison.Ordinal)) + 1;
        Assert.Equal(photos + bad.Count, rows.Count);
        Assert.DoesNotContain("notes.txt", rows.Keys);
        Assert.Contains("nested folder/Pékin copy.jpg", rows.Keys);

        foreach (var (key, row) in rows)
        {
            if (bad.ContainsKey(key))
            {
                Assert.Equal("failed", row.GetProperty("status").GetString());
                var failure = row.GetProperty("error");
                Assert.False(string.IsNullOrWhiteSpace(failure.GetProperty("reason").GetString()), key);
                Assert.Contains(failure.GetProperty("stage").GetString(), new[] { "fetch", "decode", "preprocess" });
            }
            else
            {
                Assert.Equal("ok", row.GetProperty("status").GetString());
                var labels = row.GetProperty("labels").EnumerateArray().ToArray();
                Assert.Equal(5, labels.Length);
                var p = labels.Select(l => l.GetProperty("p").GetDouble()).ToArray();
                Assert.Equal(p.OrderByDescending(x => x), p);
                Assert.All(labels, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("label").GetString())));
            }
        }

        Assert.Equal("file is empty: empty.jpg", rows["empty.jpg"].GetProperty("error").GetProperty("reason").GetString());
        Assert.Equal("decode", rows["page.jpg"].GetProperty("error").GetProperty("stage").GetString());
    }

    [Fact]
    public async Task A_run_over_its_error_budget_exits_non_zero_with_the_reason()
    {
        CopyPhotos();
        WriteBadFiles();
        var (exitCode, output, _) = await RunAsync("label", Corpus, "--db", Database, "--error-budget", "0.01");
        Assert.Equal(ExitCodes.ErrorBudgetExceeded, exitCode);
        Assert.Contains("over the error budget of 1.0%", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labeling_the_same_folder_twice_creates_two_runs_that_share_image_rows_and_exports_csv()
    {
        CopyPhotos();
        Assert.Equal(ExitCodes.Success, (await RunAsync("label", Corpus, "--db", Database, "--run-name", "first", "--no-embeddings")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await RunAsync("label", Corpus, "--db", Database, "--run-name", "second", "--topk", "3")).ExitCode);

        var (exitCode, output, _) = await RunAsync("runs", "--db", Database);
        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("first", output, StringComparison.Ordinal);
        Assert.Contains("second", output, StringComparison.Ordinal);

        var csv = _dir.File("second.csv");
        Assert.Equal(ExitCodes.Success, (await RunAsync("export", "--db", Database, "--run", "latest", "--format", "csv", "--out", csv)).ExitCode);
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("key,status,label_1,index_1,p_1,label_2,index_2,p_2,label_3,index_3,p_3,error_stage", lines[0], StringComparison.Ordinal);
        Assert.Equal(Directory.EnumerateFiles(Corpus, "*", SearchOption.AllDirectories).Count() + 1, lines.Length);
    }

    [Fact]
    public async Task A_model_whose_spec_does_not_match_the_graph_is_refused_with_the_mismatch()
    {
        CopyPhotos();
        var modelDir = Directory.CreateDirectory(_dir.File("model")).FullName;
        File.Copy(TestPaths.TestModel, Path.Combine(modelDir, "m.onnx"));
        var spec = File.ReadAllText(Path.ChangeExtension(TestPaths.TestModel, ".json")).Replace("\"embedding\": \"embedding\"", "\"embedding\": \"pooled\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(modelDir, "m.json"), spec);
        File.Copy(Path.Combine(Path.GetDirectoryName(TestPaths.TestModel)!, "imagenet_labels.txt"), Path.Combine(modelDir, "imagenet_labels.txt"));

        var (exitCode, _, error) = await RunAsync("label", Corpus, "--db", Database, "--model", Path.Combine(modelDir, "m.onnx"));
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("outputs.embedding names 'pooled'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_without_its_spec_file_is_refused_with_the_expected_path()
    {
        CopyPhotos();
        var model = _dir.File("lonely.onnx");
        File.Copy(TestPaths.TestModel, model);
        var (exitCode, _, error) = await RunAsync("label", Corpus, "--db", Database, "--model", model);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains($"model spec not found: {_dir.File("lonely.json")}", error, StringComparison.Ordinal);
    }
}

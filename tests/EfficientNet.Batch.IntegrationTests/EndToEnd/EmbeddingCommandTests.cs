using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.IntegrationTests.EndToEnd;

/// <summary>
/// <c>index build</c>, <c>similar</c> and <c>near-duplicates</c> end to end over the sample photos labeled into a
/// SQLite file, and each bad input the issue names: one line on stderr, exit code 3, nothing written.
/// </summary>
public sealed class EmbeddingCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("enb-embeddings");

    private string Database => _dir.File("results.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Index_build_similar_and_near_duplicates_agree_with_the_exact_scan_and_leave_only_the_index_and_its_manifest()
    {
        await LabelAsync("photos");
        var index = _dir.File("out/photos.usearch");

        var built = await RunAsync("index", "build", "--db", Database, "--run", "photos", "--out", index, "--precision", "f32");
        Assert.True(built.ExitCode == ExitCodes.Success, built.Error);
        Assert.Contains("indexed 7 embeddings", built.Out, StringComparison.Ordinal);
        Assert.Equal(["photos.usearch", "photos.usearch.json"], Directory.GetFiles(_dir.File("out")).Select(Path.GetFileName).Order());

        var fromIndex = await RunAsync("similar", "--db", Database, "--run", "photos", "--key", "astronaut.png", "--k", "6", "--index", index);
        var exact = await RunAsync("similar", "--db", Database, "--run", "photos", "--key", "astronaut.png", "--k", "6");
        Assert.Equal((ExitCodes.Success, ExitCodes.Success), (fromIndex.ExitCode, exact.ExitCode));
        Assert.Equal(Keys(exact.Out), Keys(fromIndex.Out));
        Assert.Equal(6, Keys(exact.Out).Count);
        Assert.DoesNotContain("astronaut.png", Keys(exact.Out));

        // The same photo from outside the run, through the run's model and preprocessing, finds itself first.
        var byImage = await RunAsync("similar", "--db", Database, "--run", "photos", "--image", Path.Combine(TestPaths.SamplePhotos, "china.jpg"), "--k", "1");
        Assert.True(byImage.ExitCode == ExitCodes.Success, byImage.Error);
        Assert.Equal(["china.jpg"], Keys(byImage.Out));
        Assert.StartsWith("1.000", byImage.Out.Split('\n')[1].Trim(), StringComparison.Ordinal);

        // To Azure Blob (Azurite): the index and its manifest as two blobs, no local file left behind.
        var container = $"enb-index-{Guid.NewGuid():N}";
        var uploaded = await RunAsync("index", "build", "--db", Database, "--run", "photos", "--out", $"az://{container}/runs/photos.usearch");
        Assert.True(uploaded.ExitCode == ExitCodes.Success, uploaded.Error);
        var blobs = new List<string>();
        await foreach (var blob in Blobs.Azurite.Account().Container(container).GetBlobsAsync())
        {
            blobs.Add($"{blob.Name}:{blob.Properties.ContentLength > 0}");
        }

        Assert.Equal(["runs/photos.usearch.json:True", "runs/photos.usearch:True"], blobs.Order(StringComparer.Ordinal));
        await Blobs.Azurite.Account().Container(container).DeleteAsync();

        var groups = _dir.File("groups.jsonl");
        var duplicates = await RunAsync("near-duplicates", "--db", Database, "--run", "photos", "--threshold", "0.5", "--out", groups, "--index", index);
        Assert.True(duplicates.ExitCode == ExitCodes.Success, duplicates.Error);
        var lines = await File.ReadAllLinesAsync(groups);
        Assert.Contains($"{lines.Length} groups", duplicates.Out, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.Contains("\"kept\":", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_run_no_embeddings_another_models_index_and_an_undecodable_image_each_fail_in_one_line()
    {
        await LabelAsync("photos");
        await LabelAsync("bare", "--no-embeddings");
        await LabelAsync("other", "--model", Path.Combine(Path.GetDirectoryName(TestPaths.TestModel)!, "efficientnet_tiny_fp16.onnx"));
        var otherIndex = _dir.File("other.usearch");
        Assert.Equal(ExitCodes.Success, (await RunAsync("index", "build", "--db", Database, "--run", "other", "--out", otherIndex)).ExitCode);
        var notImage = _dir.File("notes.jpg");
        await File.WriteAllTextAsync(notImage, "not an image");

        (string[] Args, string Expected)[] cases =
        [
            (["index", "build", "--db", Database, "--run", "nope"], "no run matches 'nope'"),
            (["index", "build", "--db", Database, "--run", "bare", "--out", _dir.File("bare.usearch")], "bare has no embeddings"),
            (["similar", "--db", Database, "--run", "bare", "--key", "china.jpg"], "bare has no embeddings"),
            (["similar", "--db", Database, "--run", "photos", "--key", "china.jpg", "--index", otherIndex], "was built for model"),
            (["near-duplicates", "--db", Database, "--run", "photos", "--index", otherIndex], "was built for model"),
            (["similar", "--db", Database, "--run", "photos", "--image", notImage], "cannot be used: not an image"),
            (["similar", "--db", Database, "--run", "photos", "--key", "missing.jpg"], "no embedding for key 'missing.jpg'"),
        ];
        foreach (var (args, expected) in cases)
        {
            var result = await RunAsync(args);
            Assert.True(result.ExitCode == ExitCodes.InvalidInput, $"{string.Join(' ', args)}: exit {result.ExitCode}, {result.Error}");
            Assert.Contains(expected, result.Error, StringComparison.Ordinal);
            Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("", result.Out);
        }

        Assert.False(File.Exists(_dir.File("bare.usearch")));
        Assert.Equal(["other.usearch", "other.usearch.json"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Where(n => n!.Contains(".usearch", StringComparison.Ordinal)).Order());
    }

    private async Task LabelAsync(string name, params string[] extra)
    {
        var corpus = _dir.File("photos");
        if (!Directory.Exists(corpus))
        {
            Directory.CreateDirectory(corpus);
            foreach (var photo in Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)))
            {
                File.Copy(photo, Path.Combine(corpus, Path.GetFileName(photo)));
            }
        }

        var result = await RunAsync(["label", corpus, "--db", Database, "--run-name", name, .. extra]);
        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
    }

    /// <summary>The keys column of <c>similar</c>'s table (after the header).</summary>
    private static List<string> Keys(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[2]).ToList();

    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync(args, new CliConsole(output, error, isInteractive: false));
        return (exitCode, output.ToString(), error.ToString());
    }
}

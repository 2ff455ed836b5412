using System.Text.Json;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using Parquet.Serialization;

namespace EfficientNet.Batch.IntegrationTests.EndToEnd;

/// <summary>
/// The Noisy-Student workflow through the CLI over the sample photos with the bundled model: teacher pass (embedded
/// pipeline), selection, export in every format, the next generation's teacher pass over the set, compare.
/// </summary>
public abstract class PseudoLabelWorkflowTests : IDisposable
{
    private readonly TempDirectory _dir = new("enb-pseudo");

    protected string Folder => _dir.Path;

    /// <summary>The flags that choose this test's database.</summary>
    protected abstract string[] DatabaseArgs { get; }

    public void Dispose() => _dir.Dispose();

    private async Task<string> EnbAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync([.. args, .. DatabaseArgs], new CliConsole(output, error, isInteractive: false));
        Assert.True(exitCode == ExitCodes.Success, $"enb {string.Join(' ', args)}: exit {exitCode}\n{output}\n{error}");
        return output.ToString();
    }

    private static List<string> Photos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Select(Path.GetFileName).ToList()!;

    [Fact]
    public async Task A_teacher_pass_becomes_an_exported_soft_set_and_the_next_generation_relabels_its_images()
    {
        // The bundled model has random weights (confidences near 1/1000), so the floor is 0 here; the thresholds'
        // arithmetic is covered with known distributions in PseudoLabelStoreTests.
        await EnbAsync("pseudo-label", "teach", TestPaths.SamplePhotos, "--full", "--run-name", "teacher-1", "--batch-size", "4");
        var selected = await EnbAsync(
            "pseudo-label", "select", "--run", "teacher-1", "--per-class", "2", "--min-confidence", "0", "--mode", "soft",
            "--temperature", "0.5", "--seed", "7", "--name", "gen1");
        Assert.Contains("Set gen1 (generation 1)", selected, StringComparison.Ordinal);

        var jsonl = Path.Combine(Folder, "gen1.jsonl");
        await EnbAsync("pseudo-label", "export", "--set", "gen1", "--format", "jsonl", "--out", jsonl);
        var rows = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        using var stats = JsonDocument.Parse(File.ReadAllText(jsonl + ".stats.json"));
        var totalSamples = stats.RootElement.GetProperty("total_samples").GetInt64();
        Assert.Equal(rows.Count, stats.RootElement.GetProperty("unique_images").GetInt64());
        Assert.Equal(totalSamples, rows.Sum(r => r.GetProperty("copies").GetInt64()));
        Assert.Equal(
            stats.RootElement.GetProperty("classes").EnumerateArray().Sum(c => c.GetProperty("samples").GetInt64()),
            totalSamples);
        foreach (var row in rows)
        {
            Assert.Contains(row.GetProperty("key").GetString(), Photos());
            Assert.True(File.Exists(row.GetProperty("uri").GetString()), row.GetProperty("uri").GetString());
            var soft = row.GetProperty("soft_labels").EnumerateArray().Select(s => s.GetProperty("p").GetDouble()).ToList();
            Assert.Equal(1000, soft.Count);
            Assert.Equal(1.0, soft.Sum(), 3);
        }

        var csv = Path.Combine(Folder, "gen1.csv");
        await EnbAsync("pseudo-label", "export", "--set", "gen1", "--format", "csv", "--out", csv, "--row-per-copy");
        Assert.Equal(totalSamples, File.ReadAllLines(csv).Length - 1);
        var parquet = Path.Combine(Folder, "gen1.parquet");
        await EnbAsync("pseudo-label", "export", "--set", "gen1", "--format", "parquet", "--out", parquet);
        await using (var file = File.OpenRead(parquet))
        {
            var samples = (await ParquetSerializer.DeserializeAsync<PseudoLabelSample>(file)).Data;
            Assert.Equal(rows.Select(r => r.GetProperty("key").GetString()), samples.Select(s => s.Key));
        }

        // Generation 2: the teacher relabels only gen1's images; the same model labels them the same.
        var teach2 = await EnbAsync("pseudo-label", "teach", "set:gen1", "--run-name", "teacher-2");
        Assert.Contains($"{rows.Count} of {rows.Count}", teach2, StringComparison.Ordinal);
        var gen2 = await EnbAsync(
            "pseudo-label", "select", "--run", "teacher-2", "--per-class", "2", "--min-confidence", "0", "--seed", "7", "--name", "gen2");
        Assert.Contains("Set gen2 (generation 2, parent gen1)", gen2, StringComparison.Ordinal);
        var compare = await EnbAsync("pseudo-label", "compare", "gen1", "gen2");
        Assert.Contains($"images in both:   {rows.Count}", compare, StringComparison.Ordinal);
        Assert.Contains("labels changed: 0", compare, StringComparison.Ordinal);
        var teachers = await EnbAsync("pseudo-label", "compare", "run:teacher-1", "run:teacher-2");
        Assert.Contains($"images in both:   {rows.Count}", teachers, StringComparison.Ordinal);
        Assert.Contains("labels changed: 0", teachers, StringComparison.Ordinal);
        var sets = await EnbAsync("pseudo-label", "sets");
        Assert.Matches(@"gen2\s+2\s+gen1", sets);
    }
}

public sealed class SqlitePseudoLabelWorkflowTests : PseudoLabelWorkflowTests
{
    protected override string[] DatabaseArgs => ["--db", Path.Combine(Folder, "enb.db")];
}

public sealed class PostgresPseudoLabelWorkflowTests(PostgresDatabase postgres) : PseudoLabelWorkflowTests, IClassFixture<PostgresDatabase>
{
    protected override string[] DatabaseArgs => ["--postgres", postgres.ConnectionString];
}

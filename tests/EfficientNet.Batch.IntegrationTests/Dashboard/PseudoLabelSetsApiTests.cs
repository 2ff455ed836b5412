using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.IntegrationTests.PseudoLabels;
using EfficientNet.Batch.IntegrationTests.Storage;
using EfficientNet.Batch.Scheduler.Cli;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Npgsql;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Dashboard;

/// <summary>
/// The pseudo-label sets API and panel against real sets: a teacher pass over the sample photos with the bundled model,
/// two selections from it (hard and soft), served by <c>enb serve</c> as its own process (on SQLite also a synthetic
/// teacher run whose thresholds spread, since the bundled model's random weights put every threshold at the floor).
/// What the API returns and the panel shows is what the database's pseudo_label_sets and pseudo_label_classes hold.
/// </summary>
[Collection(DistributedCollection.Name)]
public abstract class PseudoLabelSetsApiTests : IAsyncLifetime
{
    protected const string Teacher = "teacher-run";
    private ChildProcess _serve = null!;

    protected TempDirectory Dir { get; } = new("enb-sets-api");

    protected string Url { get; private set; } = "";

    /// <summary>The flags that choose this test's database (for the CLI and for serve).</summary>
    protected abstract string[] DatabaseArgs { get; }

    protected abstract IReadOnlyDictionary<string, string> ServeEnvironment { get; }

    protected abstract Task CreateDatabaseAsync();

    protected abstract DbConnection Connect();

    protected virtual Task DropDatabaseAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();

        // The bundled model has random weights (confidences near 1/1000), so the floor is 0 for any image to be kept.
        await EnbAsync("pseudo-label", "teach", TestPaths.SamplePhotos, "--full", "--run-name", Teacher, "--batch-size", "4");
        await EnbAsync("pseudo-label", "select", "--run", Teacher, "--per-class", "2", "--min-confidence", "0", "--seed", "7", "--name", "gen1");
        await EnbAsync(
            "pseudo-label", "select", "--run", Teacher, "--per-class", "1", "--min-confidence", "0", "--mode", "soft", "--temperature", "0.5",
            "--seed", "3", "--name", "gen1-soft");

        Url = $"http://127.0.0.1:{FreePort.Next()}";
        _serve = ChildProcess.Start("enb", ServeEnvironment, ["serve", .. DatabaseArgs, "--urls", Url]);
        await _serve.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        await DropDatabaseAsync();
        Dir.Dispose();
    }

    [Fact]
    public async Task The_list_and_each_set_return_the_database_lineage_parameters_totals_and_per_class_rows()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        using var list = JsonDocument.Parse(await http.GetStringAsync("/api/pseudo-label-sets"));
        var listed = list.RootElement.EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        var stored = await ReadSetsAsync();
        Assert.Contains(stored, s => s.Name == "gen1-soft");
        Assert.Equal(stored.Select(s => s.Name), listed.Keys.Order(StringComparer.Ordinal));

        foreach (var expected in stored)
        {
            var set = listed[expected.Name];
            Assert.Equal(
                expected,
                new SetRow(
                    set.GetProperty("name").GetString()!, set.GetProperty("generation").GetInt32(), set.GetProperty("mode").GetString()!,
                    set.GetProperty("perClassTarget").GetInt64(), set.GetProperty("uniqueImages").GetInt64(), set.GetProperty("totalSamples").GetInt64(),
                    set.GetProperty("teacherModelSha256").GetString()!, set.GetProperty("teacherRunName").GetString()!));
            Assert.Equal(JsonValueKind.Null, set.GetProperty("parentSetName").ValueKind);

            using var detail = JsonDocument.Parse(await http.GetStringAsync($"/api/pseudo-label-sets/{expected.Name}"));
            Assert.Equal(expected.Name, detail.RootElement.GetProperty("set").GetProperty("name").GetString());
            var classes = detail.RootElement.GetProperty("classes").EnumerateArray()
                .Select(c => new ClassRow(
                    c.GetProperty("classIndex").GetInt32(), c.GetProperty("className").GetString(), c.GetProperty("threshold").GetDouble(),
                    c.GetProperty("candidates").GetInt64(), c.GetProperty("selected").GetInt64(), c.GetProperty("samples").GetInt64()))
                .ToList();
            var storedClasses = await ReadClassesAsync(expected.Name);
            Assert.NotEmpty(storedClasses);
            Assert.Equal(storedClasses, classes);
            Assert.Equal(expected.TotalSamples, classes.Sum(c => c.Samples));
        }
    }

    [Fact]
    public async Task An_unknown_set_is_404_naming_it()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        var response = await http.GetAsync("/api/pseudo-label-sets/no-such-set");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no pseudo-label set matches 'no-such-set'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Every set, in ordinal name order (the databases' collations differ).</summary>
    protected async Task<List<SetRow>> ReadSetsAsync() =>
        (await QueryAsync(
            "SELECT s.name, s.generation, s.mode, s.per_class_target, s.unique_images, s.total_samples, s.teacher_model_sha256, r.name " +
            "FROM pseudo_label_sets s JOIN runs r ON r.id = s.teacher_run_id",
            r => new SetRow(r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetString(6), r.GetString(7))))
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>
    /// A set's classes by class index, named by the teacher model's labels (stored one per line); thresholds are
    /// stored as hundredths (ConfidenceBuckets).
    /// </summary>
    protected async Task<List<ClassRow>> ReadClassesAsync(string set)
    {
        var labels = (await QueryAsync(
            $"SELECT m.labels FROM models m JOIN pseudo_label_sets s ON s.teacher_model_id = m.id WHERE s.name = '{set}'",
            r => r.IsDBNull(0) ? null : r.GetString(0).Split('\n'))).Single();
        return await QueryAsync(
            $"SELECT c.class_index, c.threshold_bucket, c.candidates, c.selected, c.samples FROM pseudo_label_classes c JOIN pseudo_label_sets s ON s.id = c.set_id WHERE s.name = '{set}' ORDER BY c.class_index",
            r => new ClassRow(r.GetInt32(0), labels?[r.GetInt32(0)], r.GetInt32(1) / 100.0, r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)));
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read)
    {
        await using var connection = Connect();
        return await SqlRows.ReadAsync(connection, sql, read);
    }

    protected async Task EnbAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync([.. args, .. DatabaseArgs], new CliConsole(output, error, isInteractive: false));
        Assert.True(exitCode == ExitCodes.Success, $"enb {string.Join(' ', args)}: exit {exitCode}\n{output}\n{error}");
    }

    public sealed record SetRow(string Name, int Generation, string Mode, long PerClassTarget, long UniqueImages, long TotalSamples, string TeacherModelSha256, string TeacherRunName);

    public sealed record ClassRow(int ClassIndex, string? ClassName, double Threshold, long Candidates, long Selected, long Samples);
}

/// <summary>Over an embedded SQLite file; also the panel in headless Chromium.</summary>
public sealed class SqlitePseudoLabelSetsApiTests(ITestOutputHelper output) : PseudoLabelSetsApiTests
{
    private const string Synthetic = "synthetic";
    private const int SyntheticClasses = 14;
    private readonly List<string> _browserErrors = [];
    private EmbeddedDatabase _database = null!;

    private string Database => _database.FilePath;

    protected override string[] DatabaseArgs => ["--db", Database];

    protected override IReadOnlyDictionary<string, string> ServeEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>
    /// Beside the photos' teacher run, a synthetic one: class c has 2c + 1 images with confidences spread over
    /// 0.35..0.99, so with 6 per class and a 0.30 floor small classes reach the floor (and are duplicated) while large
    /// ones stop higher: thresholds and counts that differ from class to class, and more classes than the table shows.
    /// </summary>
    protected override async Task CreateDatabaseAsync()
    {
        _database = await EmbeddedDatabase.CreateAsync();
        var predictions = Enumerable.Range(0, SyntheticClasses)
            .SelectMany(c => Enumerable.Range(0, (2 * c) + 1).Select(i => (c, 0.99f - (0.64f * i / ((2 * c) + 1)))))
            .ToList();
        await TeacherRuns.CreateAsync(_database, "synthetic-teacher", predictions);
        await EnbAsync("pseudo-label", "select", "--run", "synthetic-teacher", "--per-class", "6", "--min-confidence", "0.3", "--seed", "5", "--name", Synthetic);
    }

    protected override async Task DropDatabaseAsync() => await _database.DisposeAsync();

    protected override DbConnection Connect() => new SqliteConnection($"Data Source={Database};Mode=ReadOnly");

    [Fact]
    public async Task The_runs_page_lists_the_sets_and_the_teacher_run_page_shows_each_sets_thresholds_and_counts_as_stored()
    {
        var sets = await ReadSetsAsync();
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(chromium, "/");

        await page.Locator("#sets tbody tr").First.WaitForAsync();
        Assert.Equal(sets.Count, await page.Locator("#sets tbody tr").CountAsync());
        var hard = sets.Single(s => s.Name == "gen1");
        var cells = await page.Locator("#sets tbody tr[data-set=gen1] td").AllInnerTextsAsync();
        Assert.Equal((Teacher, hard.UniqueImages.ToString(CultureInfo.InvariantCulture), hard.TotalSamples.ToString(CultureInfo.InvariantCulture)), (cells[3], cells[5], cells[6]));

        await page.Locator("#sets tbody tr[data-set=gen1] td a").First.ClickAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.True(await page.IsVisibleAsync("#pseudo-panel"));
        Assert.Equal(sets.Count(s => s.TeacherRunName == Teacher), await page.Locator("#pseudo-sets tbody tr").CountAsync());
        await AssertPanelShowsAsync(page, "gen1");

        await page.Locator("#pseudo-sets tbody tr[data-set=gen1-soft]").ClickAsync();
        await page.WaitForSelectorAsync("#pseudo-sets tbody tr.selected[data-set=gen1-soft]");
        await page.WaitForFunctionAsync("() => document.getElementById('pseudo-selected').textContent.startsWith('gen1-soft:')");
        await AssertPanelShowsAsync(page, "gen1-soft");

        // The synthetic teacher's set: thresholds spread between the floor and the top, and the table shows only the
        // 5 classes with the most and the 5 with the fewest images.
        await page.GotoAsync($"{Url}/run.html?run=synthetic-teacher");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        var synthetic = await ReadClassesAsync(Synthetic);
        Assert.Equal(SyntheticClasses, synthetic.Count);
        Assert.True(synthetic.Select(c => c.Threshold).Distinct().Count() > 3, string.Join(", ", synthetic.Select(c => c.Threshold)));
        await AssertPanelShowsAsync(page, Synthetic);
        Assert.Equal(10, await page.Locator("#pseudo-classes tbody tr[data-class-index]").CountAsync());
        Assert.Equal($"{SyntheticClasses - 10} more classes", await page.InnerTextAsync("#pseudo-classes tbody tr.gap"));

        var screenshot = Path.Combine(DashboardTests.ArtifactsDirectory(), "dashboard-pseudo-label-sets.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"pseudo-label sets panel screenshot: {screenshot}");
        Assert.Empty(_browserErrors);
    }

    private async Task AssertPanelShowsAsync(IPage page, string set)
    {
        var classes = await ReadClassesAsync(set);
        Assert.Equal(
            classes.Select(c => c.Threshold).OrderDescending(),
            await page.EvaluateAsync<double[]>("() => Chart.getChart('pseudo-thresholds-chart').data.datasets[0].data"));
        var bySelected = classes.OrderByDescending(c => c.Selected).ThenByDescending(c => c.Samples).ThenBy(c => c.ClassIndex).ToList();
        Assert.Equal(bySelected.Select(c => c.Selected), await page.EvaluateAsync<long[]>("() => Chart.getChart('pseudo-counts-chart').data.datasets[0].data"));
        Assert.Equal(bySelected.Select(c => c.Samples), await page.EvaluateAsync<long[]>("() => Chart.getChart('pseudo-counts-chart').data.datasets[1].data"));
        foreach (var chart in new[] { "pseudo-thresholds-chart", "pseudo-counts-chart" })
        {
            Assert.True(await page.EvaluateAsync<bool>($"() => Chart.getChart('{chart}').width > 0"), $"{chart} did not render");
        }

        // The table's first and last rows are the classes with the most and the fewest selected images.
        var rows = page.Locator("#pseudo-classes tbody tr[data-class-index]");
        foreach (var (row, expected) in new[] { (rows.First, bySelected[0]), (rows.Last, bySelected[^1]) })
        {
            var cells = (await row.Locator("td").AllInnerTextsAsync()).Select(c => c.Replace(",", "", StringComparison.Ordinal)).ToList();
            Assert.Equal(
                (expected.ClassName is null ? $"class {expected.ClassIndex}" : $"{expected.ClassName} ({expected.ClassIndex})", expected.Threshold.ToString("0.00", CultureInfo.InvariantCulture), $"{expected.Candidates}", $"{expected.Selected}", $"{expected.Samples}"),
                (cells[1], cells[2], cells[3], cells[4], cells[5]));
        }
    }

    private Task<IPage> OpenAsync(HeadlessChromium chromium, string path) => chromium.OpenAsync(Url + path, _browserErrors);
}

/// <summary>Over PostgreSQL (the running services): serve in distributed mode with its own database and vhost.</summary>
public sealed class PostgresPseudoLabelSetsApiTests : PseudoLabelSetsApiTests
{
    private DistributedStack _stack = null!;

    protected override string[] DatabaseArgs => ["--postgres", _stack.PostgresConnectionString];

    protected override IReadOnlyDictionary<string, string> ServeEnvironment => _stack.Environment;

    protected override async Task CreateDatabaseAsync() => _stack = await DistributedStack.CreateAsync();

    protected override DbConnection Connect() => new NpgsqlConnection(_stack.PostgresConnectionString);

    protected override async Task DropDatabaseAsync() => await _stack.DisposeAsync();
}

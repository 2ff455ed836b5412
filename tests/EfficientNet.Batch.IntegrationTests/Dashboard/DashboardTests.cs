using System.Net;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard in headless Chromium against a real run (the sample photos and bad files labeled by <c>label</c>
/// into a SQLite file, served by <c>enb serve --db</c> as its own process): what the pages show is what the database
/// holds, the charts draw, and no page logs an error. The run page's screenshot is kept for CI.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class DashboardTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ApiKey = "test-dashboard-key";
    private readonly TempDirectory _dir = new("enb-dashboard");
    private readonly List<string> _browserErrors = [];
    private ChildProcess _serve = null!;
    private string _url = "";

    private string Database => _dir.File("results.db");

    public async Task InitializeAsync()
    {
        var corpus = Directory.CreateDirectory(_dir.File("photos")).FullName;
        foreach (var photo in Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)))
        {
            File.Copy(photo, Path.Combine(corpus, Path.GetFileName(photo)));
        }

        var jpeg = await File.ReadAllBytesAsync(Path.Combine(TestPaths.SamplePhotos, "china.jpg"));
        await File.WriteAllBytesAsync(Path.Combine(corpus, "truncated.jpg"), jpeg[..(jpeg.Length / 3)]);
        await File.WriteAllBytesAsync(Path.Combine(corpus, "empty.jpg"), []);
        await File.WriteAllTextAsync(Path.Combine(corpus, "page.jpg"), "<html>404</html>");
        var (exitCode, text) = await RunCliAsync("label", corpus, "--db", Database, "--shard-size", "3", "--error-budget", "0.9", "--run-name", "dashboard-run");
        Assert.True(exitCode == ExitCodes.Success, text);

        _url = $"http://127.0.0.1:{FreePort.Next()}";
        _serve = ChildProcess.Start("enb", new Dictionary<string, string> { ["Dashboard__ApiKey"] = ApiKey }, "serve", "--db", Database, "--urls", _url);
        await _serve.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_runs_list_and_the_run_page_show_the_database_counts_draw_every_chart_and_log_no_errors()
    {
        var expected = await ReadDatabaseAsync();
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(chromium, "/");

        var row = page.Locator("#runs tbody tr", new() { HasText = "dashboard-run" });
        await row.WaitForAsync();
        var cells = await row.Locator("td").AllInnerTextsAsync();
        Assert.Equal(("completed", expected.Succeeded.ToString(), expected.Failed.ToString()), (cells[1], cells[3], cells[4]));

        await row.Locator("a").ClickAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Equal(expected.Succeeded.ToString(), await page.InnerTextAsync("#succeeded"));
        Assert.Equal(expected.Failed.ToString(), await page.InnerTextAsync("#failed"));
        Assert.Equal((expected.Succeeded + expected.Failed).ToString(), await page.InnerTextAsync("#total"));
        Assert.Equal(expected.Shards.ToString(), await page.InnerTextAsync("#shards-total"));

        // Each chart exists and holds the database's numbers; Chart.js drew it on a non-empty canvas.
        foreach (var chart in new[] { "throughput-chart", "workers-chart", "shards-chart", "confidence-chart", "classes-chart" })
        {
            Assert.True(await page.EvaluateAsync<bool>($"() => {{ const c = Chart.getChart('{chart}'); return !!c && c.width > 0 && c.data.datasets[0].data.length > 0; }}"), $"{chart} did not render");
        }

        Assert.Equal(expected.Succeeded, await page.EvaluateAsync<long>("() => Chart.getChart('confidence-chart').data.datasets[0].data.reduce((a, b) => a + b, 0)"));
        Assert.Equal(expected.Shards, await page.EvaluateAsync<long>("() => Chart.getChart('shards-chart').data.datasets[0].data.reduce((a, b) => a + b, 0)"));
        Assert.Equal(expected.TopClass, await page.EvaluateAsync<long>("() => Chart.getChart('classes-chart').data.datasets[0].data[0]"));
        Assert.Equal(expected.FailureReasons, await page.Locator("#failures tbody tr").CountAsync());
        Assert.Contains("truncated.jpg", await page.InnerTextAsync("#failures"), StringComparison.Ordinal);

        var screenshot = Path.Combine(ArtifactsDirectory(), "dashboard-run-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"run page screenshot: {screenshot}");
        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task Actions_need_the_api_key_and_reads_are_open_on_loopback()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_url) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/runs/dashboard-run/insights")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/runs/dashboard-run/cancel", null)).StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/runs/dashboard-run/cancel") { Headers = { { "X-Api-Key", "guess" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);

        // With the key the action runs its rules: a completed run cannot be cancelled.
        using var right = new HttpRequestMessage(HttpMethod.Post, "/api/runs/dashboard-run/cancel") { Headers = { { "X-Api-Key", ApiKey } } };
        var response = await http.SendAsync(right);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already ended", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, _serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_run_page_finds_similar_images_and_near_duplicates_like_the_cli_with_bounded_thumbnails()
    {
        var (similarExit, similarText) = await RunCliAsync("similar", "--db", Database, "--run", "dashboard-run", "--key", "astronaut.png", "--k", "3");
        Assert.True(similarExit == ExitCodes.Success, similarText);
        var cliNeighbours = similarText.Split('\n').Skip(1).Where(l => l.Contains(".p", StringComparison.Ordinal) || l.Contains(".j", StringComparison.Ordinal))
            .Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[2]).Take(3).ToList();
        var (dupExit, dupText) = await RunCliAsync("near-duplicates", "--db", Database, "--run", "dashboard-run", "--threshold", "0.9");
        Assert.True(dupExit == ExitCodes.Success, dupText);
        var cliSummary = System.Text.RegularExpressions.Regex.Match(dupText, @"(\d+) groups, (\d+) images in groups, (\d+) would be dropped");
        Assert.True(cliSummary.Success, dupText);

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(chromium, "/run.html?run=dashboard-run");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        await page.FillAsync("#similar-key", "astronaut.png");
        await page.FillAsync("#similar-k", "3");
        await page.ClickAsync("#similar-form button");
        await page.WaitForSelectorAsync("#similar-images figure:nth-child(4)");
        var shown = await page.Locator("#similar-images img").EvaluateAllAsync<string[]>("images => images.slice(1).map(i => i.dataset.key)");
        Assert.Equal(cliNeighbours, shown);

        // Every thumbnail is a decoded JPEG of at most 128 px on its long side (the originals are 300-700 px).
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#similar-images img')].every(i => i.dataset.loaded === 'true' && i.complete && i.naturalWidth > 0)");
        var sizes = await page.Locator("#similar-images img").EvaluateAllAsync<int[]>("images => images.map(i => Math.max(i.naturalWidth, i.naturalHeight))");
        Assert.All(sizes, size => Assert.InRange(size, 16, 128));

        await page.FillAsync("#duplicates-threshold", "0.9");
        await page.ClickAsync("#duplicates-form button");
        await page.WaitForFunctionAsync("() => document.getElementById('duplicates-summary').textContent.includes('groups,')");
        var summary = await page.InnerTextAsync("#duplicates-summary");
        Assert.StartsWith($"{cliSummary.Groups[1].Value} groups, {cliSummary.Groups[2].Value} images in groups, {cliSummary.Groups[3].Value} would be dropped", summary, StringComparison.Ordinal);
        Assert.Equal(int.Parse(cliSummary.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), await page.Locator("#duplicates-groups figure").CountAsync());
        Assert.Empty(_browserErrors);

        // A key the run did not label is never read from the store, whatever it names.
        using var http = new HttpClient { BaseAddress = new Uri(_url) };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/runs/dashboard-run/thumbnail?key=..%2Fresults.db")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/runs/dashboard-run/thumbnail?key=truncated.jpg")).StatusCode);
    }

    [Fact]
    public async Task Serving_beyond_loopback_without_an_api_key_is_refused_with_the_key_to_set()
    {
        var (exitCode, text) = await RunCliAsync("serve", "--db", Database, "--urls", "http://0.0.0.0:0");

        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("Dashboard__ApiKey", text, StringComparison.Ordinal);
    }

    private Task<IPage> OpenAsync(HeadlessChromium chromium, string path) => chromium.OpenAsync(_url + path, _browserErrors);

    private async Task<(long Succeeded, long Failed, long Shards, long FailureReasons, long TopClass)> ReadDatabaseAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly");
        await connection.OpenAsync();
        async Task<long> ScalarAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return (
            await ScalarAsync("SELECT count(*) FROM predictions"),
            await ScalarAsync("SELECT count(*) FROM failures"),
            await ScalarAsync("SELECT count(*) FROM shards"),
            await ScalarAsync("SELECT count(*) FROM (SELECT DISTINCT stage, reason FROM failures)"),
            await ScalarAsync("SELECT count(*) FROM predictions GROUP BY substr(top_indices, 1, 4) ORDER BY 1 DESC LIMIT 1"));
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync(args, new CliConsole(stdout, stderr, isInteractive: false));
        return (exitCode, stdout + stderr.ToString());
    }

    /// <summary>Where CI collects files: $ENB_ARTIFACTS_DIR when set, else artifacts/ under the test output.</summary>
    internal static string ArtifactsDirectory() =>
        Directory.CreateDirectory(Environment.GetEnvironmentVariable("ENB_ARTIFACTS_DIR") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
}

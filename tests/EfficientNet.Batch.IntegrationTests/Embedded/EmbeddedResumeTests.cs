using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.IntegrationTests.Storage;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.Runs;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Embedded;

/// <summary>
/// Embedded run control: a <c>label</c> killed with SIGKILL mid-run is continued by <c>resume</c> to exactly one row
/// per image, completed shards untouched; <c>retry-failed</c> over a SQLite file re-processes only the failed images
/// in its own process; runs that ended, or that are not in the database, are refused with one line and exit 3.
/// </summary>
public sealed class EmbeddedResumeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunEnd = TimeSpan.FromSeconds(120);

    /// <summary>One image at a time, so the run lasts long enough to be killed part-way.</summary>
    private static readonly Dictionary<string, string> Throttled = new()
    {
        ["Pipeline__ShardConcurrency"] = "1", ["Pipeline__ImagesInFlightPerShard"] = "1", ["Inference__BatchSize"] = "1",
    };

    private readonly TempDirectory _dir = new("enb-resume");

    private EmbeddedCli Cli => new(_dir.File("results.db"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_label_killed_with_sigkill_is_resumed_to_exactly_one_row_per_image_without_redoing_completed_shards()
    {
        var total = 40 * EmbeddedCli.SamplePhotos().Count;
        await using (var label = await StartLabelAsync("killme", copies: 40, completedShards: 3))
        {
            label.Kill();
            await label.WaitForExitAsync(RunEnd);
        }

        var doneAtKill = await Cli.ScalarAsync("SELECT (SELECT count(*) FROM predictions) + (SELECT count(*) FROM failures)");
        var completedAtKill = await Cli.QueryAsync(
            "SELECT shard_id, completed_at FROM shards WHERE status = 'completed'", r => (Id: r.GetInt64(0), CompletedAt: r.GetString(1)));
        Assert.Equal("running", (await Cli.QueryAsync("SELECT status FROM runs", r => r.GetString(0))).Single());
        Assert.InRange(doneAtKill, 1, total - 1);

        var (statusCode, status, _) = await Cli.RunAsync("status", "killme");
        Assert.Equal(ExitCodes.Success, statusCode);
        Assert.Contains("status:   interrupted: no process is working on it; continue it with: enb resume", status, StringComparison.Ordinal);

        var (exitCode, resumed, error) = await Cli.RunAsync("resume", "killme");
        output.WriteLine(resumed);
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{resumed}\n{error}");
        Assert.Contains($": {doneAtKill} of ", resumed, StringComparison.Ordinal);
        Assert.Contains($"resumed:  {doneAtKill} images were already done", resumed, StringComparison.Ordinal);
        Assert.Contains("Run killme completed", resumed, StringComparison.Ordinal);

        var rows = await Cli.ExportStatusesAsync("killme");
        Assert.Equal(total, rows.Count);
        Assert.All(rows.Values, s => Assert.Equal("ok", s));
        Assert.Equal(total, await Cli.ScalarAsync("SELECT count(*) FROM predictions"));
        Assert.Equal(total, await Cli.ScalarAsync("SELECT sum(image_count) FROM shards"));
        Assert.Equal(0, await Cli.ScalarAsync("SELECT count(*) FROM shards WHERE status <> 'completed'"));
        var after = (await Cli.QueryAsync("SELECT shard_id, completed_at, attempts FROM shards", r => (Id: r.GetInt64(0), CompletedAt: r.GetString(1), Attempts: r.GetInt32(2))))
            .ToDictionary(s => s.Id);
        Assert.All(completedAtKill, s => Assert.Equal((s.CompletedAt, 1), (after[s.Id].CompletedAt, after[s.Id].Attempts)));
        output.WriteLine($"VERIFIED: killed after {doneAtKill} of {total} images ({completedAtKill.Count} shards); resumed to {rows.Count} rows, "
            + $"the {completedAtKill.Count} completed shards untouched");

        (exitCode, _, error) = await Cli.RunAsync("resume", "killme");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Equal("error: run killme is completed: nothing to resume", error.Trim());
    }

    [Fact]
    public async Task An_interrupted_label_stops_exits_130_and_leaves_its_run_resumable_with_the_resume_line()
    {
        var total = 20 * EmbeddedCli.SamplePhotos().Count;
        await using (var label = await StartLabelAsync("stopme", copies: 20, completedShards: 1))
        {
            label.Terminate(); // SIGTERM; Ctrl+C (SIGINT) takes the same path through the host's console lifetime
            await label.WaitForExitAsync(RunEnd);
            output.WriteLine(label.Output);
            Assert.Equal(ExitCodes.Cancelled, label.ExitCode);
            Assert.Contains("run stopme interrupted; continue it with: enb resume ", label.Output, StringComparison.Ordinal);
        }

        var run = (await Cli.QueryAsync("SELECT status, status_reason FROM runs", r => (Status: r.GetString(0), Reason: r.GetString(1)))).Single();
        Assert.Equal("planning", run.Status);
        Assert.StartsWith("interrupted; continue it with: enb resume ", run.Reason, StringComparison.Ordinal);
        Assert.Equal(0, await Cli.ScalarAsync("SELECT count(*) FROM shards WHERE status = 'skipped'"));
        Assert.True(await Cli.ScalarAsync("SELECT count(*) FROM predictions") < total, "the interrupted process labeled everything before it exited");
    }

    [Fact]
    public async Task Retry_failed_over_an_embedded_database_labels_only_the_failed_images_in_this_process()
    {
        var corpus = Directory.CreateDirectory(_dir.File("corpus")).FullName;
        var photos = EmbeddedCli.SamplePhotos();
        foreach (var (name, path) in photos)
        {
            File.Copy(path, Path.Combine(corpus, name));
        }

        File.WriteAllText(Path.Combine(corpus, "late-1.jpg"), "<html>not yet</html>");
        File.WriteAllBytes(Path.Combine(corpus, "late-2.jpg"), []);
        var (exitCode, text, error) = await Cli.RunAsync("label", corpus, "--run-name", "retry", "--error-budget", "0.5", "--shard-size", "4");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{text}\n{error}");
        Assert.Equal(2, await Cli.ScalarAsync("SELECT count(*) FROM failures"));
        var shardsBefore = await Cli.ScalarAsync("SELECT count(*) FROM shards");
        var predictionsBefore = await Cli.QueryAsync("SELECT image_id FROM predictions ORDER BY image_id", r => r.GetInt64(0));

        // The files arrive complete: retrying now labels them.
        File.Copy(photos[0].Path, Path.Combine(corpus, "late-1.jpg"), overwrite: true);
        File.Copy(photos[1].Path, Path.Combine(corpus, "late-2.jpg"), overwrite: true);
        (exitCode, text, error) = await Cli.RunAsync("retry-failed", "retry");
        output.WriteLine(text);
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{text}\n{error}");
        Assert.Contains("Retrying run retry", text, StringComparison.Ordinal);
        Assert.Contains("2 failed images requeued in 1 shards", text, StringComparison.Ordinal);
        Assert.Contains("Run retry completed", text, StringComparison.Ordinal);

        var rows = await Cli.ExportStatusesAsync("retry");
        Assert.Equal(photos.Count + 2, rows.Count);
        Assert.All(rows.Values, s => Assert.Equal("ok", s));
        Assert.Equal(0, await Cli.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal(shardsBefore + 1, await Cli.ScalarAsync("SELECT count(*) FROM shards"));
        Assert.Equal(2, await Cli.ScalarAsync("SELECT image_count FROM shards WHERE is_retry"));
        var predictionsAfter = await Cli.QueryAsync("SELECT image_id FROM predictions ORDER BY image_id", r => r.GetInt64(0));
        Assert.Equal(2, predictionsAfter.Except(predictionsBefore).Count());
    }

    [Fact]
    public async Task A_run_stopped_while_its_folder_was_still_being_listed_is_resumed_after_the_last_image_planned()
    {
        var corpus = EmbeddedCli.CopyPhotos(_dir.File("corpus"), copies: 3);

        // What a process killed while listing leaves: the first shard written (in listing order), planning not completed.
        await using var database = await EmbeddedDatabase.CreateAsync();
        var none = CancellationToken.None;
        var specPath = Models.ModelSpecFile.SpecPathFor(TestPaths.TestModel);
        var modelId = await database.Runs.EnsureModelAsync(
            "tiny", TestPaths.TestModel, await Batch.Storage.Models.ModelFiles.Sha256Async(TestPaths.TestModel, none), await File.ReadAllTextAsync(specPath),
            Models.ModelSpecFile.LoadLabels(Models.ModelSpecFile.Load(specPath), specPath), none);
        var run = await database.Runs.CreateRunAsync(new NewRun("listing", RunKind.Label, modelId, corpus, 5, true, 0.01, 4), none);
        await database.Runs.SetRunStatusAsync(run.Id, RunStatus.Running, null, none);
        var keys = Directory.EnumerateFiles(corpus).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        await database.Runs.AddShardAsync(run.Id, corpus, keys.Take(4).ToList()!, none);

        var cli = new EmbeddedCli(database.FilePath);
        var (exitCode, text, error) = await cli.RunAsync("resume", "listing");
        output.WriteLine(text);
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{text}\n{error}");
        Assert.Contains("listing not finished, it goes on after the last image planned", text, StringComparison.Ordinal);
        var rows = await cli.ExportStatusesAsync("listing");
        Assert.Equal(keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(keys.Count, await cli.ScalarAsync("SELECT sum(image_count) FROM shards"));
        Assert.Equal("completed", (await cli.QueryAsync("SELECT status FROM runs", r => r.GetString(0))).Single());
    }

    [Fact]
    public async Task Resume_refuses_a_cancelled_run_and_a_run_of_another_database_with_one_line_and_changes_nothing()
    {
        await using var database = await EmbeddedDatabase.CreateAsync();
        var modelId = await database.Runs.EnsureModelAsync("tiny", TestPaths.TestModel, new string('a', 64), "{}", null, CancellationToken.None);
        var run = await database.Runs.CreateRunAsync(
            new NewRun("stopped", RunKind.Label, modelId, _dir.Path, 5, true, 0.01, 8), CancellationToken.None);
        await database.Runs.EndRunAsync(run.Id, RunStatus.Cancelled, "cancelled by the user", CancellationToken.None);
        var cli = new EmbeddedCli(database.FilePath);

        var (exitCode, _, error) = await cli.RunAsync("resume", "stopped");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Equal(
            "error: run stopped was cancelled (cancelled by the user): a cancelled run is not resumed; label its source again with --only-new",
            error.Trim());
        Assert.Equal(RunStatus.Cancelled, (await database.Runs.FindRunAsync("stopped", CancellationToken.None))!.Status);

        var elsewhere = Guid.NewGuid();
        (exitCode, _, error) = await cli.RunAsync("resume", elsewhere.ToString());
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Equal($"error: no run matches '{elsewhere}' in {database.FilePath} (see 'runs')", error.Trim());
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(database.FilePath)!, "*.lock"));
    }

    /// <summary>Starts a throttled <c>enb label</c> over copies of the sample photos, in shards of 8, and waits until some shards completed.</summary>
    private async Task<ChildProcess> StartLabelAsync(string runName, int copies, int completedShards)
    {
        var corpus = EmbeddedCli.CopyPhotos(_dir.File("corpus"), copies);
        var label = ChildProcess.Start(
            "enb", Throttled, "label", corpus, "--model", TestPaths.TestModel, "--db", Cli.Database, "--shard-size", "8", "--run-name", runName);
        await Eventually.WaitUntilAsync(
            $"{completedShards} shards completed", () => CompletedShardsAsync(), n => n >= completedShards || label.HasExited, RunEnd,
            n => $"{n} completed shards\n{label.Output}");
        Assert.False(label.HasExited, label.Output);
        return label;
    }

    /// <summary>Completed shards so far; none while the child has not yet created or migrated its database.</summary>
    private async Task<long> CompletedShardsAsync()
    {
        try
        {
            return File.Exists(Cli.Database) ? await Cli.ScalarAsync("SELECT count(*) FROM shards WHERE status = 'completed'") : 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }
}

using EfficientNet.Batch.Scheduler.Progress;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Runs;
using Spectre.Console;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class ProgressViewTests
{
    [Fact]
    public void The_live_view_shows_counts_rate_eta_failure_reasons_and_each_workers_rate()
    {
        var started = DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var view = new ProgressView
        {
            Progress = new RunProgress(Guid.NewGuid(), RunStatus.Running, 1000, 390, 10, 10, 4, [new FailureCount("decode", "truncated JPEG", 7), new FailureCount("fetch", "not found", 3)]),
            DoneWhileWatching = 400,
            Elapsed = TimeSpan.FromSeconds(20),
            Workers =
            [
                new WorkerActivity("gpu-node-1", 3, 1, 300, started, started.AddSeconds(10)),
                new WorkerActivity("gpu-node-2", 1, 1, 100, started, started.AddSeconds(20)),
            ],
        };

        var text = Render(view);

        Assert.Contains("400/1000 images (40 %) | 390 ok, 10 failed | 20.0 images/s | ETA 0:00:30", text, StringComparison.Ordinal);
        Assert.Contains("7 failed at decode: truncated JPEG", text, StringComparison.Ordinal);
        Assert.Contains("3 failed at fetch: not found", text, StringComparison.Ordinal);
        Assert.Contains("gpu-node-1 30.0 images/s (3 shards, 1 running)", text, StringComparison.Ordinal);
        Assert.Contains("gpu-node-2 5.0 images/s (1 shards, 1 running)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Markup_characters_in_reasons_and_worker_names_are_shown_as_text()
    {
        var view = new ProgressView
        {
            Progress = new RunProgress(Guid.NewGuid(), RunStatus.Running, 2, 0, 1, 1, 0, [new FailureCount("decode", "bad [header] /x", 1)]),
            Workers = [new WorkerActivity("pod[0]", 0, 1, 0, null, null)],
        };

        var text = Render(view);

        Assert.Contains("bad [header] /x", text, StringComparison.Ordinal);
        Assert.Contains("pod[0]", text, StringComparison.Ordinal);
    }

    private static string Render(ProgressView view)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        console.Write(view.Render());
        return output.ToString();
    }
}

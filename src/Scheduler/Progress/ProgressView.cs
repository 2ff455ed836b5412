using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Runs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EfficientNet.Batch.Scheduler.Progress;

/// <summary>
/// What a terminal shows while a run goes: a bar with images done, rate and ETA (the same numbers as the plain line
/// of <see cref="ProgressPrinter"/>), the top failure reasons, and each worker's rate.
/// </summary>
public sealed class ProgressView
{
    private const int BarWidth = 30;
    private const int ReasonsShown = 5;
    private const int ReasonWidth = 90;

    public RunProgress? Progress { get; set; }

    public long DoneWhileWatching { get; set; }

    public TimeSpan Elapsed { get; set; }

    public IReadOnlyList<WorkerActivity> Workers { get; set; } = [];

    public IRenderable Render()
    {
        if (Progress is not { } p)
        {
            return new Markup("[grey]waiting for the run's first counts...[/]");
        }

        var fraction = p.TotalImages > 0 ? Math.Clamp((double)p.Done / p.TotalImages, 0, 1) : 0;
        var filled = (int)Math.Round(fraction * BarWidth);
        var bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', BarWidth - filled)}[/]";
        var rows = new List<IRenderable> { new Markup($"{bar} {Markup.Escape(ProgressPrinter.Format(p, DoneWhileWatching, Elapsed))}") };
        foreach (var failure in p.FailuresByReason.Take(ReasonsShown))
        {
            var reason = failure.Reason.Length > ReasonWidth ? failure.Reason[..ReasonWidth] + "…" : failure.Reason;
            rows.Add(new Markup($"  [red]{failure.Count} failed[/] at {Markup.Escape(failure.Stage)}: {Markup.Escape(reason)}"));
        }

        if (Workers.Count > 0)
        {
            var workers = Workers.Select(w => $"{Markup.Escape(w.WorkerId)} [bold]{w.ImagesPerSecond:F1}[/] images/s ({w.CompletedShards} shards{(w.RunningShards > 0 ? $", {w.RunningShards} running" : "")})");
            rows.Add(new Markup("  workers: " + string.Join(" · ", workers)));
        }

        return new Rows(rows);
    }
}

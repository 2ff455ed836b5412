using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Dashboard;

/// <summary>
/// A run with its counts, its average rate since it was created and, while it runs, the time left at that rate:
/// what the runs list shows per row and the run page shows in its header.
/// </summary>
public sealed record RunOverview(RunInfo Run, RunProgress Progress, double ElapsedSeconds, double ImagesPerSecond, double? EtaSeconds)
{
    public static RunOverview From(RunInfo run, RunProgress progress, DateTimeOffset now)
    {
        var end = run.FinishedAt ?? now;
        var elapsed = Math.Max(0, (end - run.CreatedAt).TotalSeconds);
        var rate = elapsed > 0 ? progress.Done / elapsed : 0;
        var remaining = progress.TotalImages - progress.Done;
        double? eta = run.FinishedAt is null && rate > 0 && remaining > 0 ? remaining / rate : null;
        return new RunOverview(run, progress, elapsed, rate, eta);
    }
}

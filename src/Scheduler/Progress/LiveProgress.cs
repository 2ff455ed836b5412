using System.Diagnostics;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Runs;
using Spectre.Console;

namespace EfficientNet.Batch.Scheduler.Progress;

/// <summary>
/// Follows a run on stderr for label, submit --wait and status --watch: a live Spectre.Console view on a terminal
/// (<see cref="ProgressView"/>, redrawn in place), the plain lines of <see cref="ProgressPrinter"/> otherwise, so CI
/// logs and tests read one line every few seconds and no escape codes.
/// </summary>
public sealed class LiveProgress(CliConsole console, IRunInsightsReader insights)
{
    /// <summary>Per-worker rates cost a grouped query over the run's shards: read them this often, not at every count.</summary>
    private static readonly TimeSpan WorkersInterval = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="wait"/> (a <see cref="RunMonitor.WaitAsync"/> call) with a progress sink that shows each count.</summary>
    public async Task<T> FollowAsync<T>(Guid runId, Func<IProgress<RunProgress>, Task<T>> wait, CancellationToken cancellationToken)
    {
        if (!console.IsInteractive)
        {
            var printer = new ProgressPrinter(console);
            try
            {
                return await wait(printer);
            }
            finally
            {
                printer.Complete();
            }
        }

        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console.Error) });
        var view = new ProgressView();
        return await terminal.Live(view.Render()).AutoClear(false).StartAsync(async context =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workers = RefreshWorkersAsync(runId, view, stop.Token);
            try
            {
                var clock = Stopwatch.StartNew();
                long? firstDone = null;
                return await wait(new Progress(p =>
                {
                    firstDone ??= p.Done;
                    (view.Progress, view.DoneWhileWatching, view.Elapsed) = (p, p.Done - firstDone.Value, clock.Elapsed);
                    context.UpdateTarget(view.Render());
                }));
            }
            finally
            {
                await stop.CancelAsync();
                await workers;
                context.UpdateTarget(view.Render());
            }
        });
    }

    private async Task RefreshWorkersAsync(Guid runId, ProgressView view, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(WorkersInterval);
            do
            {
                view.Workers = await insights.ReadWorkersAsync(runId, cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
        catch (Exception e)
        {
            // The rates are extras: a database hiccup must not end the wait, whose own reads report real trouble.
            view.Workers = [];
            Trace.TraceWarning($"worker rates not read: {e.Message}");
        }
    }

    /// <summary>Synchronous on purpose: <see cref="Progress{T}"/> would post to the thread pool and redraw out of order.</summary>
    private sealed class Progress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}

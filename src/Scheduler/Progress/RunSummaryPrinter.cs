using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Progress;

/// <summary>The end-of-run summary: outcome, counts, failures by reason, speed, and where the results are.</summary>
public sealed class RunSummaryPrinter(CliConsole console)
{
    public void Print(RunInfo run, RunOutcome outcome, DatabaseChoice database)
    {
        var p = outcome.Progress;
        console.WriteLine();
        console.WriteLine($"Run {run.Name} {outcome.Status.ToString().ToLowerInvariant()}{(outcome.Reason is null ? "" : $": {outcome.Reason}")}");
        console.WriteLine($"  images:   {p.Done} of {p.TotalImages} in {outcome.Elapsed.TotalSeconds:F1} s ({outcome.ImagesPerSecond:F1} images/s)");
        console.WriteLine($"  ok:       {p.Succeeded}");
        console.WriteLine($"  failed:   {p.Failed}");
        foreach (var failure in p.FailuresByReason)
        {
            console.WriteLine($"    {failure.Count,6} x {failure.Stage}: {failure.Reason}");
        }

        console.WriteLine($"  results:  {database} (run id {run.Id})");
        var where = database.IsPostgres ? "" : $" --db {database.SqlitePath}";
        console.WriteLine($"  export:   enb export{where} --run {run.Name} --format jsonl --out {run.Name}.jsonl");
    }
}

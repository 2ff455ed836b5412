using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Progress;

/// <summary>The end-of-run summary: outcome, counts, failures by reason, speed, and where the results are.</summary>
public sealed class RunSummaryPrinter(CliConsole console)
{
    /// <param name="alreadyDone">Images done before this process took the run on (resume, retry-failed): not counted in the speed.</param>
    public void Print(RunInfo run, RunOutcome outcome, DatabaseChoice database, long alreadyDone = 0)
    {
        var p = outcome.Progress;
        var rate = outcome.Elapsed.TotalSeconds > 0 ? (p.Done - alreadyDone) / outcome.Elapsed.TotalSeconds : 0;
        console.WriteLine();
        console.WriteLine($"Run {run.Name} {outcome.Status.ToString().ToLowerInvariant()}{(outcome.Reason is null ? "" : $": {outcome.Reason}")}");
        console.WriteLine($"  images:   {p.Done} of {p.TotalImages} in {outcome.Elapsed.TotalSeconds:F1} s ({rate:F1} images/s)");
        if (alreadyDone > 0)
        {
            console.WriteLine($"  resumed:  {alreadyDone} images were already done before this process");
        }

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

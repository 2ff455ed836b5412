using EfficientNet.Batch.Scheduler.Runs;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>Process exit codes of the CLI, in one place.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The run finished but more images failed than its error budget allows.</summary>
    public const int ErrorBudgetExceeded = 2;

    /// <summary>Bad command line or configuration: a missing model, an unreadable folder, a bad flag.</summary>
    public const int InvalidInput = 3;

    /// <summary>The run could not complete (a shard faulted, the run was cancelled).</summary>
    public const int RunFailed = 4;

    /// <summary>Interrupted by the user (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>How a followed run ended, as an exit code.</summary>
    public static int For(RunOutcome outcome) => outcome.Status switch
    {
        Storage.Runs.RunStatus.Completed => Success,
        Storage.Runs.RunStatus.Failed when outcome.ErrorBudgetExceeded => ErrorBudgetExceeded,
        _ => RunFailed,
    };
}

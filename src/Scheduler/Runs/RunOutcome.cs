using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>How a run ended, with its final counts and the time it took.</summary>
public sealed record RunOutcome(RunStatus Status, string? Reason, RunProgress Progress, TimeSpan Elapsed, bool ErrorBudgetExceeded = false);

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>The fraction of a run's images allowed to fail before the run counts as failed.</summary>
public static class ErrorBudget
{
    /// <summary>True when <paramref name="failed"/> of <paramref name="total"/> is over the budget (and so can never come back under it).</summary>
    public static bool IsExceeded(long failed, long total, double budget) =>
        total > 0 && failed > budget * total;

    public static string Describe(long failed, long total, double budget) =>
        $"{failed} of {total} images failed ({Percent(failed, total)}), over the error budget of {Percent(budget)}";

    private static string Percent(long part, long total) => Percent(total == 0 ? 0 : (double)part / total);

    private static string Percent(double fraction) => $"{fraction * 100:0.0#}%";
}

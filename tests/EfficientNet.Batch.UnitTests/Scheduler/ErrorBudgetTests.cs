using EfficientNet.Batch.Scheduler.Runs;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class ErrorBudgetTests
{
    [Theory]
    [InlineData(1, 100, 0.01, false)]
    [InlineData(2, 100, 0.01, true)]
    [InlineData(0, 100, 0.0, false)]
    [InlineData(1, 100, 0.0, true)]
    [InlineData(0, 0, 0.0, false)]
    [InlineData(100, 100, 1.0, false)]
    public void A_run_exceeds_its_budget_only_when_failures_are_over_the_fraction(long failed, long total, double budget, bool exceeded) =>
        Assert.Equal(exceeded, ErrorBudget.IsExceeded(failed, total, budget));
}

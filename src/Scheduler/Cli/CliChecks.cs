using System.Globalization;

namespace EfficientNet.Batch.Scheduler.Cli;

internal static class CliChecks
{
    /// <summary>Stops the command with one line naming the problem when <paramref name="condition"/> is false.</summary>
    public static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new CliException(message);
        }
    }

    /// <summary>The per-run options label and submit share, checked the same way for both.</summary>
    public static void RunOptions(int topK, int shardSize, double errorBudget)
    {
        Require(topK is >= 1 and <= 1000, $"--topk must be between 1 and 1000, got {topK}");
        Require(shardSize is >= 1 and <= 100_000, $"--shard-size must be between 1 and 100000, got {shardSize}");
        Require(errorBudget is >= 0 and <= 1, $"--error-budget must be a fraction between 0 and 1, got {errorBudget}");
    }

    /// <summary>
    /// <c>--batch-size</c> of the embedded commands: 1..1024, or <c>auto</c> (0: the session times candidate sizes on
    /// the device at start).
    /// </summary>
    public static int BatchSize(string text) =>
        text.Equals("auto", StringComparison.OrdinalIgnoreCase) ? 0
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= 1024 ? size
        : throw new CliException($"--batch-size must be 'auto' or between 1 and 1024, got '{text}'");
}

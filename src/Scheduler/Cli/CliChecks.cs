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
}

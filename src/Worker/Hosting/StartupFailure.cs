using EfficientNet.Batch.Hosting;

namespace EfficientNet.Batch.Worker.Hosting;

/// <summary>Turns a failure to start (missing configuration, an unreachable broker or database) into one line and exit code 3.</summary>
public static class StartupFailure
{
    public const int ExitCode = 3;

    public static async Task<int> RunAsync(Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"error: {SecretRedactor.Redact(Describe(e))}");
            return ExitCode;
        }
    }

    /// <summary>The outer message and the innermost cause (e.g. "bus start timed out: Connection refused"), without repeats.</summary>
    private static string Describe(Exception e)
    {
        var root = e.GetBaseException();
        return root == e || e.Message.Contains(root.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message}: {root.Message}";
    }
}

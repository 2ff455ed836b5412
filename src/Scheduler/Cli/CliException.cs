namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>A problem with the user's input that the CLI reports as one line and a non-zero exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.InvalidInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>All console output of the CLI goes through here, so commands are testable with captured writers.</summary>
public sealed class CliConsole(TextWriter output, TextWriter error, bool isInteractive)
{
    public static CliConsole System { get; } =
        new(Console.Out, Console.Error, !Console.IsOutputRedirected && !Console.IsErrorRedirected);

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>True when a person watches a terminal: progress redraws one line; otherwise it prints a line now and then.</summary>
    public bool IsInteractive { get; } = isInteractive;

    public void WriteLine(string text = "") => Out.WriteLine(text);

    public void WriteError(string text) => Error.WriteLine($"error: {text}");

    public void WriteWarning(string text) => Error.WriteLine($"warning: {text}");
}

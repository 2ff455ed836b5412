using System.CommandLine;
using EfficientNet.Batch.Scheduler.Commands;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>The command line: parses arguments, runs one command, and maps every expected failure to one line and an exit code.</summary>
public static class CliApplication
{
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("EfficientNet.Batch: label image corpora with EfficientNet (ONNX Runtime) and store top-k labels and embeddings.")
        {
            new LabelCommand(console).Command,
            new RunsCommand(console).Command,
            new ExportCommand(console).Command,
        };

        var parsed = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        try
        {
            var exitCode = await parsed.InvokeAsync(configuration, cancellationToken);
            return parsed.Errors.Count > 0 ? ExitCodes.InvalidInput : exitCode;
        }
        catch (CliException e)
        {
            console.WriteError(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            console.WriteError("cancelled");
            return ExitCodes.Cancelled;
        }
    }
}

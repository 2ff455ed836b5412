using System.CommandLine;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Commands;

namespace EfficientNet.Batch.Scheduler;

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
            new MigrateCommand(console).Command,
            new SubmitCommand(console).Command,
            new StatusCommand(console).Command,
            new CancelCommand(console).Command,
            new RetryFailedCommand(console).Command,
            new ResumeCommand(console).Command,
            new PseudoLabelCommand(console).Command,
            new IndexCommand(console).Command,
            new SimilarCommand(console).Command,
            new NearDuplicatesCommand(console).Command,
            new ServeCommand().Command,
            new BenchCommand(console).Command,
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
        catch (Exception e)
        {
            // Anything unforeseen (a service that went away mid-command, a bug) still ends in one readable line;
            // --verbose logging has the details.
            console.WriteError(SecretRedactor.Redact(e.GetBaseException().Message));
            return ExitCodes.RunFailed;
        }
    }
}

using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Export;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>export</c>: writes one row per image of a run (or of each run of its pass, <c>--pass</c>) to JSONL or CSV, streamed.</summary>
public sealed class ExportCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _run = CommonOptions.Run();
    private readonly Option<string> _format = new("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
    private readonly Option<string> _out = new("--out") { Description = "Output file ('-' for stdout).", Required = true };
    private readonly Option<bool> _pass = new("--pass") { Description = "Every run of the run's multi-model pass, one file each: <out>.<run name>.<format> beside --out." };

    public ExportCommand(CliConsole console)
    {
        _console = console;
        _format.AcceptOnlyFromAmong("jsonl", "csv");
        Command = new Command("export", "Export a run's results, one row per image.") { _database, _postgres, _run, _format, _out, _pass };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var runName = parse.GetValue(_run)!;
        var run = await storage.FindRunAsync(runName, cancellationToken);
        if (parse.GetValue(_pass))
        {
            CliChecks.Require(run.PassId is not null, $"run {run.Name} is not part of a multi-model pass; export it without --pass");
            CliChecks.Require(parse.GetValue(_out) != "-", "--pass writes one file per run: give --out a file name, not '-'");
            var outPath = Path.GetFullPath(parse.GetValue(_out)!);
            foreach (var member in await storage.Runs.ListPassRunsAsync(run.PassId!.Value, cancellationToken))
            {
                var memberPath = Path.Combine(Path.GetDirectoryName(outPath)!, $"{Path.GetFileNameWithoutExtension(outPath)}.{member.Name}{Path.GetExtension(outPath)}");
                await ExportAsync(parse, storage, member, memberPath, cancellationToken);
            }

            return ExitCodes.Success;
        }

        await ExportAsync(parse, storage, run, parse.GetValue(_out)!, cancellationToken);
        return ExitCodes.Success;
    }

    private async Task ExportAsync(ParseResult parse, StorageScope storage, Storage.Runs.RunInfo run, string outPath, CancellationToken cancellationToken)
    {
        var model = await storage.Runs.GetModelAsync(run.ModelId, cancellationToken);
        var labels = model?.Labels;
        if (labels is null)
        {
            _console.WriteWarning($"model {run.ModelName} has no labels; exporting class indices as labels");
        }

        IResultExporter exporter = parse.GetValue(_format) == "csv" ? new CsvResultExporter(run.TopK) : new JsonlResultExporter();
        long count;
        if (outPath == "-")
        {
            await using var stdout = Console.OpenStandardOutput();
            count = await exporter.WriteAsync(storage.Results.ReadAsync(run.Id, cancellationToken), labels, stdout, cancellationToken);
        }
        else
        {
            var fullPath = Path.GetFullPath(outPath);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            await using var file = File.Create(fullPath);
            count = await exporter.WriteAsync(storage.Results.ReadAsync(run.Id, cancellationToken), labels, file, cancellationToken);
            _console.Error.WriteLine($"exported {count} rows of run {run.Name} to {fullPath}");
        }
    }
}

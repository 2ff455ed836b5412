using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>pseudo-label export</c>: a set as a training manifest (JSONL, CSV or Parquet), streamed, plus its stats JSON.
/// </summary>
public sealed class PseudoLabelExportCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _set = new("--set") { Description = "The set's name (or id).", Required = true };
    private readonly Option<string> _format = new("--format") { Description = "jsonl, csv or parquet.", DefaultValueFactory = _ => "jsonl" };
    private readonly Option<string> _out = new("--out") { Description = "Output file ('-' for stdout with jsonl and csv).", Required = true };
    private readonly Option<bool> _rowPerCopy = new("--row-per-copy") { Description = "One row per training sample (an image with 3 copies is 3 rows) instead of a copies column." };
    private readonly Option<string?> _stats = new("--stats") { Description = "Where to write the stats JSON. Default: <out>.stats.json (none for stdout)." };

    public PseudoLabelExportCommand(CliConsole console)
    {
        _console = console;
        _format.AcceptOnlyFromAmong("jsonl", "csv", "parquet");
        Command = new Command("export", "Export a pseudo-label set for student training, with a stats JSON.")
        {
            _database, _postgres, _set, _format, _out, _rowPerCopy, _stats,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var format = parse.GetValue(_format)!;
        var outPath = parse.GetValue(_out)!;
        CliChecks.Require(!(outPath == "-" && format == "parquet"), "Parquet cannot be written to stdout: give --out FILE.parquet");

        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var set = await storage.FindSetAsync(parse.GetValue(_set)!, cancellationToken);
        var classes = await storage.PseudoLabels.GetClassesAsync(set.Id, cancellationToken);
        var labels = (await storage.Runs.GetModelAsync(set.TeacherModelId, cancellationToken))?.Labels;
        var samples = PseudoLabelSamples.FromAsync(
            storage.PseudoLabels.ReadLabelsAsync(set.Id, withFullDistribution: set.Mode == PseudoLabelMode.Soft, cancellationToken),
            set,
            labels,
            parse.GetValue(_rowPerCopy),
            cancellationToken);
        IPseudoLabelExporter exporter = format switch
        {
            "csv" => new CsvPseudoLabelExporter(),
            "parquet" => new ParquetPseudoLabelExporter(),
            _ => new JsonlPseudoLabelExporter(),
        };

        long rows;
        string? statsPath = parse.GetValue(_stats);
        if (outPath == "-")
        {
            await using var stdout = Console.OpenStandardOutput();
            rows = await exporter.WriteAsync(samples, stdout, cancellationToken);
        }
        else
        {
            var fullPath = Path.GetFullPath(outPath);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            await using (var file = new FileStream(fullPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                rows = await exporter.WriteAsync(samples, file, cancellationToken);
            }

            statsPath ??= fullPath + ".stats.json";
            _console.Error.WriteLine($"exported {rows} rows of set {set.Name} ({set.UniqueImages} images, {set.TotalSamples} samples) to {fullPath}");
        }

        if (statsPath is not null)
        {
            var fullStats = Path.GetFullPath(statsPath);
            await using var stats = File.Create(fullStats);
            await PseudoLabelStats.WriteAsync(set, classes, labels, rows, stats, cancellationToken);
            _console.Error.WriteLine($"stats: {fullStats}");
        }

        return ExitCodes.Success;
    }
}

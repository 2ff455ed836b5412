using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>export</c>: writes one row per image of a run (or of each run of its multi-model pass, <c>--pass</c>) to JSONL, CSV or Parquet (with <c>--embeddings</c>, each image's
/// embedding too), or the run's embeddings alone as <c>embeddings.npy</c> + <c>keys.txt</c>; streamed. Files are
/// written under a temporary name and renamed when complete, so a failed export leaves nothing behind.
/// </summary>
public sealed class ExportCommand
{
    private const string NpyFile = "embeddings.npy";
    private const string KeysFile = "keys.txt";
    private const int ReadAheadRows = 4096;

    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _run = CommonOptions.Run();
    private readonly Option<string> _format = new("--format") { Description = "jsonl, csv, parquet, or npy (embeddings only).", DefaultValueFactory = _ => "jsonl" };
    private readonly Option<string> _out = new("--out") { Description = "Output file ('-' for stdout; a folder for npy).", Required = true };
    private readonly Option<bool> _embeddings = new("--embeddings") { Description = "Parquet: add each image's embedding (list column)." };
    private readonly Option<string> _precision = new("--embedding-precision") { Description = "float32 or float16 (parquet and npy).", DefaultValueFactory = _ => "float32" };
    private readonly Option<bool> _pass = new("--pass") { Description = "Every run of the run's multi-model pass, one output each: <out>.<run name>.<ext> beside --out (npy: <out>.<run name>/)." };

    public ExportCommand(CliConsole console)
    {
        _console = console;
        _format.AcceptOnlyFromAmong("jsonl", "csv", "parquet", "npy");
        _precision.AcceptOnlyFromAmong("float32", "float16");
        Command = new Command("export", "Export a run's results, one row per image, or its embeddings.")
        {
            _database, _postgres, _run, _format, _out, _embeddings, _precision, _pass,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var format = parse.GetValue(_format)!;
        var outPath = parse.GetValue(_out)!;
        var withEmbeddings = format == "npy" || parse.GetValue(_embeddings);
        var precision = parse.GetValue(_precision) == "float16" ? EmbeddingPrecision.Binary16 : EmbeddingPrecision.Binary32;
        CliChecks.Require(!(outPath == "-" && format is "parquet" or "npy"), $"{format} cannot be written to stdout: give --out {(format == "npy" ? "FOLDER" : "FILE.parquet")}");
        CliChecks.Require(!(parse.GetValue(_embeddings) && format is "jsonl" or "csv"), "--embeddings needs --format parquet (or --format npy for the embeddings alone)");

        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        if (!parse.GetValue(_pass))
        {
            return await ExportAsync(storage, run, format, outPath, withEmbeddings, precision, cancellationToken);
        }

        CliChecks.Require(run.PassId is not null, $"run {run.Name} is not part of a multi-model pass; export it without --pass");
        CliChecks.Require(outPath != "-", "--pass writes one file per run: give --out a file name, not '-'");
        var fullOut = Path.GetFullPath(outPath);
        foreach (var member in await storage.Runs.ListPassRunsAsync(run.PassId!.Value, cancellationToken))
        {
            var memberPath = Path.Combine(Path.GetDirectoryName(fullOut)!, $"{Path.GetFileNameWithoutExtension(fullOut)}.{member.Name}{Path.GetExtension(fullOut)}");
            await ExportAsync(storage, member, format, memberPath, withEmbeddings, precision, cancellationToken);
        }

        return ExitCodes.Success;
    }

    private async Task<int> ExportAsync(
        StorageScope storage, RunInfo run, string format, string outPath, bool withEmbeddings, EmbeddingPrecision precision, CancellationToken cancellationToken)
    {
        CliChecks.Require(
            !withEmbeddings || run.StoreEmbeddings,
            $"run {run.Name} has no embeddings (it was labeled with --no-embeddings); export it without --embeddings");
        var model = await storage.Runs.GetModelAsync(run.ModelId, cancellationToken);
        var labels = model?.Labels;
        if (labels is null)
        {
            _console.WriteWarning($"model {run.ModelName} has no labels; exporting class indices as labels");
        }

        var clock = Stopwatch.StartNew();

        // Read ahead: the database side (the sort, the embedding batches) and the file side run on two cores.
        var rows = storage.Results.ReadAsync(run.Id, withEmbeddings, cancellationToken).ReadAheadAsync(ReadAheadRows, cancellationToken);
        if (format == "npy")
        {
            var folder = Path.GetFullPath(outPath);
            var count = await ExportNpyAsync(rows, folder, precision, cancellationToken);
            _console.Error.WriteLine($"exported {count} embeddings of run {run.Name} to {Path.Combine(folder, NpyFile)} (keys in {KeysFile}) {Took(count, clock.Elapsed)}");
            return ExitCodes.Success;
        }

        IResultExporter exporter = format switch
        {
            "csv" => new CsvResultExporter(run.TopK),
            "parquet" => new ParquetResultExporter(ImageUri.For(run.Source), withEmbeddings ? precision : null),
            _ => new JsonlResultExporter(),
        };
        if (outPath == "-")
        {
            await using var stdout = Console.OpenStandardOutput();
            await exporter.WriteAsync(rows, labels, stdout, cancellationToken);
            return ExitCodes.Success;
        }

        var fullPath = Path.GetFullPath(outPath);
        var written = await WriteCompleteAsync(
            [fullPath], async files => await exporter.WriteAsync(rows, labels, files[0], cancellationToken), cancellationToken);
        _console.Error.WriteLine($"exported {written} rows of run {run.Name} to {fullPath} {Took(written, clock.Elapsed)}");
        return ExitCodes.Success;
    }

    private static string Took(long rows, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"in {elapsed.TotalSeconds:F1} s ({rows / Math.Max(elapsed.TotalSeconds, 1e-3):F0} rows/s)");

    private static Task<long> ExportNpyAsync(
        IAsyncEnumerable<ExportRow> rows, string folder, EmbeddingPrecision precision, CancellationToken cancellationToken) =>
        WriteCompleteAsync(
            [Path.Combine(folder, NpyFile), Path.Combine(folder, KeysFile)],
            files => new NpyEmbeddingExporter(precision).WriteAsync(rows, files[0], files[1], cancellationToken),
            cancellationToken);

    /// <summary>Writes the files under temporary names beside them and renames them all only when the writer succeeded.</summary>
    private static async Task<long> WriteCompleteAsync(string[] paths, Func<Stream[], Task<long>> write, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(paths[0])!);
        var partials = paths.Select(p => Path.Combine(Path.GetDirectoryName(p)!, $".{Path.GetFileName(p)}.{Environment.ProcessId}.partial")).ToArray();
        try
        {
            long count;
            // Around the page cache: the kernel's copy of a multi-gigabyte export into cached pages is most of its system time.
            var files = partials.Select(DirectFileStream.Create).ToArray();
            try
            {
                count = await write(files);
            }
            finally
            {
                foreach (var file in files)
                {
                    await file.DisposeAsync();
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            for (var i = 0; i < paths.Length; i++)
            {
                File.Move(partials[i], paths[i], overwrite: true);
            }

            return count;
        }
        finally
        {
            foreach (var partial in partials)
            {
                File.Delete(partial);
            }
        }
    }
}

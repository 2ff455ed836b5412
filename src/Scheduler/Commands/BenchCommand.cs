using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>bench model|preprocess</c> (hidden): the two stage rates tools/bench.sh needs for the CPU bound, measured with
/// the production classes (<see cref="OnnxModelSession"/> with its preallocated buffers, <see cref="ImagePreprocessor"/>).
/// Each prints one machine-readable line.
/// </summary>
public sealed class BenchCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _model = new("--model") { Description = "ONNX model with its .json spec beside it.", Required = true };
    private readonly Option<string> _batchSizes = new("--batch-size") { Description = "Comma-separated batch sizes to time, or 'auto' (the startup probe's choice).", DefaultValueFactory = _ => "8" };
    private readonly Option<double> _seconds = new("--seconds") { Description = "Timed seconds per measurement (after warm-up).", DefaultValueFactory = _ => 5 };
    private readonly Option<int> _threads = new("--threads") { Description = "ONNX Runtime intra-op threads; 0 = processor count.", DefaultValueFactory = _ => 0 };
    private readonly Option<ExecutionProviderPreference> _provider = new("--provider") { Description = "Auto, Cpu or Cuda.", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
    private readonly Option<int> _device = new("--device") { Description = "CUDA device id.", DefaultValueFactory = _ => 0 };
    private readonly Argument<string> _folder = new("folder") { Description = "Folder of images (top level only)." };
    private readonly Option<PreprocessingMode> _mode = new("--mode") { Description = "Exact or Fast.", DefaultValueFactory = _ => PreprocessingMode.Exact };
    private readonly Option<int> _images = new("--images") { Description = "Images to time (after one warm-up pass over the first 10).", DefaultValueFactory = _ => 300 };

    private readonly Option<int> _count = new("--count") { Description = "Synthetic embeddings to index.", DefaultValueFactory = _ => 100_000 };
    private readonly Option<int> _dimensions = new("--dimensions") { Description = "Embedding dimension.", DefaultValueFactory = _ => 1280 };
    private readonly Option<int> _clusters = new("--clusters") { Description = "Cluster centres of the synthetic vectors.", DefaultValueFactory = _ => 1000 };
    private readonly Option<float> _noise = new("--noise") { Description = "Uniform noise added to a centre (centres are uniform in [0,1)).", DefaultValueFactory = _ => 0.5f };
    private readonly Option<int> _intrinsic = new("--intrinsic-dimensions") { Description = "0: offsets are noise on every dimension; k: offsets in a k-dimensional subspace per cluster (see SyntheticEmbeddings).", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _expansionSearch = new("--expansion-search") { Description = "Search expansions to measure recall and latency at, comma-separated (one build); the near-duplicate pass uses the first.", DefaultValueFactory = _ => VectorIndex.DefaultExpansionSearch.ToString(CultureInfo.InvariantCulture) };
    private readonly Option<bool> _skipNearDuplicates = new("--no-near-duplicates") { Description = "Skip the near-duplicate pass." };
    private readonly Option<int> _queries = new("--queries") { Description = "Queries timed and checked against exact search.", DefaultValueFactory = _ => 1000 };
    private readonly Option<string> _precision = new("--precision") { Description = "f32, f16 or i8.", DefaultValueFactory = _ => "f16" };
    private readonly Option<int> _connectivity = new("--connectivity") { DefaultValueFactory = _ => VectorIndex.DefaultConnectivity };
    private readonly Option<int> _expansion = new("--expansion") { DefaultValueFactory = _ => VectorIndex.DefaultExpansionAdd };
    private readonly Option<int> _indexThreads = new("--index-threads") { DefaultValueFactory = _ => Environment.ProcessorCount };

    public BenchCommand(CliConsole console)
    {
        _console = console;
        var model = new Command("model", "Model-only rate: preallocated batches through ONNX Runtime, no decode, no writes.")
        {
            _model, _batchSizes, _seconds, _threads, _provider, _device,
        };
        model.SetAction(RunModel);
        var preprocess = new Command("preprocess", "Decode + preprocess rate of one thread (= per core), files read into memory first.")
        {
            _folder, _model, _mode, _images,
        };
        preprocess.SetAction(RunPreprocess);
        var index = new Command("index", "Vector index over clustered synthetic embeddings: build time, peak memory, recall@10 against exact search, query p50, near-duplicate pass.")
        {
            _count, _dimensions, _clusters, _noise, _intrinsic, _queries, _precision, _connectivity, _expansion, _expansionSearch, _indexThreads, _skipNearDuplicates,
        };
        index.SetAction((parse, ct) => RunIndexAsync(parse, ct));
        Command = new Command("bench", "Stage benchmarks for tools/bench.sh and tools/bench_index.sh.") { model, preprocess, index };
        Command.Hidden = true;
    }

    public Command Command { get; }

    private int RunModel(ParseResult parse)
    {
        var modelPath = parse.GetValue(_model)!;
        var sizesText = parse.GetValue(_batchSizes)!;
        var sizes = sizesText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(CliChecks.BatchSize).ToArray();
        CliChecks.Require(sizes.Length > 0, "--batch-size needs 'auto' or sizes between 1 and 1024 separated by commas");
        var auto = sizes.Contains(0);
        CliChecks.Require(!auto || sizes.Length == 1, "--batch-size 'auto' stands alone");
        var seconds = parse.GetValue(_seconds);
        CliChecks.Require(seconds is > 0 and <= 600, $"--seconds must be between 0 and 600, got {seconds}");
        var options = new InferenceOptions
        {
            ExecutionProvider = parse.GetValue(_provider),
            DeviceId = parse.GetValue(_device),
            IntraOpThreads = parse.GetValue(_threads),
            BatchSize = auto ? 0 : sizes.Max(),
        };
        var spec = LoadSpec(modelPath);
        using var session = new OnnxModelSession(modelPath, spec, options, NullLogger.Instance);
        foreach (var size in auto ? [session.Buckets.Max] : sizes)
        {
            // CNN cost does not depend on pixel values; a fixed pattern keeps the input identical across runs.
            var input = session.InputFor(size);
            for (var i = 0; i < input.Length; i++)
            {
                input[i] = (i % 255 / 127.5f) - 1f;
            }

            for (var i = 0; i < 3; i++)
            {
                session.Run(size); // warm-up: allocation, (CUDA) algorithm search
            }

            var runs = 0;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                session.Run(size);
                runs++;
            }

            var rate = runs * size / clock.Elapsed.TotalSeconds;
            var cpuPerImage = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / (runs * size);
            _console.WriteLine(Invariant(
                $"model batch={size} img_s={rate:F1} cpu_s_per_img={cpuPerImage:F5} provider={session.ExecutionProvider} threads={options.EffectiveIntraOpThreads} dtype={(session.IsFloat16 ? "fp16" : "fp32")}"));
        }

        return ExitCodes.Success;
    }

    private int RunPreprocess(ParseResult parse)
    {
        var folder = parse.GetValue(_folder)!;
        var count = parse.GetValue(_images);
        CliChecks.Require(Directory.Exists(folder), $"folder not found: {folder}");
        CliChecks.Require(count >= 1, $"--images must be at least 1, got {count}");
        var spec = LoadSpec(parse.GetValue(_model)!);
        var mode = parse.GetValue(_mode);
        var preprocessor = new ImagePreprocessor(spec, new PreprocessingOptions { Mode = mode });
        var files = Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).Take(count).Select(File.ReadAllBytes).ToArray();
        CliChecks.Require(files.Length > 0, $"no files in {folder}");
        var tensor = new float[preprocessor.TensorLength];
        foreach (var file in files.Take(10))
        {
            preprocessor.Preprocess(file, tensor);
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        foreach (var file in files)
        {
            preprocessor.Preprocess(file, tensor);
        }

        var wall = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        _console.WriteLine(Invariant(
            $"preprocess mode={mode} images={files.Length} img_s_per_core={files.Length / wall:F1} cpu_s_per_img={cpuSeconds / files.Length:F5}"));
        return ExitCodes.Success;
    }

    private async Task<int> RunIndexAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (count, dimensions, queryCount, threads) = (parse.GetValue(_count), parse.GetValue(_dimensions), parse.GetValue(_queries), parse.GetValue(_indexThreads));
        var intrinsic = parse.GetValue(_intrinsic);
        CliChecks.Require(count >= 10 && dimensions >= 2 && queryCount >= 1 && threads >= 1 && intrinsic >= 0, "--count >= 10, --dimensions >= 2, --queries >= 1, --index-threads >= 1, --intrinsic-dimensions >= 0");
        var searchExpansions = parse.GetValue(_expansionSearch)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 ? value : throw new CliException($"--expansion-search: '{e}' is not a positive integer"))
            .ToArray();
        CliChecks.Require(searchExpansions.Length > 0, "--expansion-search names no value");
        SyntheticEmbeddings Corpus(int size) => new(size, dimensions, parse.GetValue(_clusters), parse.GetValue(_noise), seed: 13, intrinsic);
        var corpus = Corpus(count);
        var manifest = new IndexManifest(
            IndexManifest.CurrentFormat, Guid.Empty, "synthetic", "synthetic", new string('0', 64), dimensions, IndexManifest.CosineMetric,
            parse.GetValue(_precision)!, count, parse.GetValue(_connectivity), parse.GetValue(_expansion), searchExpansions[0], DateTimeOffset.UtcNow);

        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var index = await VectorIndex.BuildAsync(manifest, IndexPrecisions.Parse(manifest.Precision), corpus.ReadAsync(), threads, cancellationToken);
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var buildCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        _console.WriteLine(Invariant(
            $"index count={count} dims={dimensions} intrinsic={intrinsic} precision={manifest.Precision} connectivity={manifest.Connectivity} expansion={manifest.ExpansionAdd} threads={threads} build_s={buildSeconds:F1} build_cpu_s={buildCpu:F1} add_per_s={count / buildSeconds:F0} peak_rss_mb={Process.GetCurrentProcess().PeakWorkingSet64 / 1048576}"));

        // Queries: held-out vectors of the same distribution (ids past the corpus), so none is its own neighbour.
        var queries = Enumerable.Range(count, queryCount).Select(Corpus(count + queryCount).Vector).ToArray();
        clock.Restart();
        var exact = await ExactNeighbours.SearchAsync(queries, 10, corpus.ReadAsync(), cancellationToken);
        var exactSeconds = clock.Elapsed.TotalSeconds;
        foreach (var expansion in searchExpansions)
        {
            index.ChangeSearchExpansion(expansion);
            var latencies = new double[queryCount];
            var hits = 0;
            for (var q = 0; q < queryCount; q++)
            {
                var t = Stopwatch.GetTimestamp();
                var found = index.Search(queries[q], 10);
                latencies[q] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                hits += found.Select(n => n.ImageId).Intersect(exact[q].Select(n => n.ImageId)).Count();
            }

            Array.Sort(latencies);
            _console.WriteLine(Invariant(
                $"search count={count} expansion_search={expansion} recall_at_10={hits / (10.0 * queryCount):F4} query_p50_ms={latencies[queryCount / 2]:F3} query_p99_ms={latencies[queryCount * 99 / 100]:F3} exact_s={exactSeconds:F1}"));
        }

        if (parse.GetValue(_skipNearDuplicates))
        {
            return ExitCodes.Success;
        }

        index.ChangeSearchExpansion(searchExpansions[0]);
        clock.Restart();
        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var duplicates = await NearDuplicates.FindAsync(index, corpus.ReadAsync(), NearDuplicates.DefaultThreshold, NearDuplicates.DefaultNeighbours, threads, cancellationToken);
        var nearSeconds = clock.Elapsed.TotalSeconds;
        var nearCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        _console.WriteLine(Invariant(
            $"near-duplicates count={count} expansion_search={searchExpansions[0]} near_dup_s={nearSeconds:F1} near_dup_cpu_s={nearCpu:F1} near_dup_groups={duplicates.Groups.Count} peak_rss_mb={Process.GetCurrentProcess().PeakWorkingSet64 / 1048576}"));
        return ExitCodes.Success;
    }

    private static ModelSpec LoadSpec(string modelPath)
    {
        CliChecks.Require(File.Exists(modelPath), $"model file not found: {modelPath}");
        try
        {
            return ModelSpecFile.Load(ModelSpecFile.SpecPathFor(modelPath));
        }
        catch (ModelSpecException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

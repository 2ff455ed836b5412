using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EfficientNet.Batch.IntegrationTests.Storage;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.Runs;
using Parquet.Serialization;

namespace EfficientNet.Batch.IntegrationTests.Export;

/// <summary>
/// <c>enb export</c> of a run's embeddings, on each provider: Parquet (read back by column name with Parquet.Net's
/// deserializer into this test's own row type) and .npy (its header checked byte by byte, its data loaded by NumPy),
/// values compared exactly with the float16 values the database stores.
/// </summary>
public abstract class EmbeddingExportTests : IAsyncLifetime
{
    private const int Dimension = 1280;
    private readonly TempDirectory _dir = new("enb-export");
    private StorageDatabase _database = null!;
    private RunInfo _run = null!;
    private Dictionary<string, float[]> _embeddings = null!;

    protected abstract string[] DatabaseArgs { get; }

    protected StorageDatabase Database => _database;

    public async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        _run = await _database.StartRunAsync("with-embeddings", source: "/photos");
        var shard = await _database.AddShardAsync(_run, "b.jpg", "a.jpg", "c.jpg", "d.jpg");
        var predictions = shard.Items.Where(i => i.Key != "c.jpg")
            .Select(i => new ImagePrediction(i.ImageId, [1, 0], [0.75f, 0.25f], Enumerable.Range(0, Dimension).Select(d => MathF.Sin(d + i.ImageId) * 3).ToArray()))
            .ToList();
        var failed = shard.Items.Single(i => i.Key == "c.jpg");
        await _database.Writer.WriteAsync(
            new ShardResult(_run.Id, shard.ShardId, predictions, [new ImageFailure(failed.ImageId, FailureStage.Decode, "truncated")], "w"),
            CancellationToken.None);
        _embeddings = shard.Items.Zip(shard.Items.Select(i => predictions.SingleOrDefault(p => p.ImageId == i.ImageId)))
            .Where(pair => pair.Second is not null)
            .ToDictionary(pair => pair.First.Key, pair => StorageDatabase.AsStored(pair.Second!.Embedding)!);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _dir.Dispose();
    }

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task Parquet_with_embeddings_has_one_row_per_image_and_the_stored_values_exactly()
    {
        var path = Path.Combine(_dir.Path, "out", "run.parquet");

        await ExportAsync("--format", "parquet", "--out", path, "--embeddings");

        await using var file = File.OpenRead(path);
        var rows = (await ParquetSerializer.DeserializeAsync<Row32>(file)).Data;
        Assert.Equal(["a.jpg", "b.jpg", "c.jpg", "d.jpg"], rows.Select(r => r.Key));
        Assert.Equal(Path.Join("/photos", "a.jpg"), rows[0].Uri);
        Assert.Equal(["ok", "ok", "failed", "ok"], rows.Select(r => r.Status));
        Assert.Equal([1, 0], rows[0].TopIndices);
        Assert.Equal(["goldfish", "tench"], rows[0].TopLabels);
        Assert.Equal([0.75f, 0.25f], rows[0].TopProbabilities);
        Assert.Equal(("decode", "truncated"), (rows[2].FailureStage, rows[2].FailureReason));
        Assert.Null(rows[2].Embedding);
        foreach (var row in rows.Where(r => r.Status == "ok"))
        {
            Assert.Equal(_embeddings[row.Key], row.Embedding);
        }
    }

    [Fact]
    public async Task Parquet_with_float16_embeddings_holds_the_stored_halves_as_little_endian_bytes()
    {
        var path = Path.Combine(_dir.Path, "run16.parquet");

        await ExportAsync("--format", "parquet", "--out", path, "--embeddings", "--embedding-precision", "float16");

        await using var file = File.OpenRead(path);
        var rows = (await ParquetSerializer.DeserializeAsync<Row16>(file)).Data;
        Assert.Equal(["a.jpg", "b.jpg", "c.jpg", "d.jpg"], rows.Select(r => r.Key));
        Assert.Null(rows[2].EmbeddingFloat16);
        Assert.Equal(Expected("float16", ["d.jpg"]), rows[3].EmbeddingFloat16);
        Assert.Equal(Dimension * 2, rows[0].EmbeddingFloat16!.Length);
    }

    [Theory]
    [InlineData("float32", "<f4", 4)]
    [InlineData("float16", "<f2", 2)]
    public async Task Npy_is_an_n_by_d_array_in_keys_txt_order_that_numpy_loads_without_pickle(string precision, string descr, int size)
    {
        var folder = Path.Combine(_dir.Path, precision);

        await ExportAsync("--format", "npy", "--out", folder, "--embedding-precision", precision);

        Assert.Equal(["a.jpg", "b.jpg", "d.jpg"], await File.ReadAllLinesAsync(Path.Combine(folder, "keys.txt")));
        var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, "embeddings.npy"));
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }, bytes[..6]);
        Assert.Equal([1, 0], bytes[6..8]);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Equal($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (3, {Dimension}), }}", header.TrimEnd());
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        var expected = Expected(precision, ["a.jpg", "b.jpg", "d.jpg"]);
        Assert.Equal(10 + headerLength + (3 * Dimension * size), bytes.Length);
        Assert.Equal(expected, bytes[(10 + headerLength)..]);

        using var numpy = JsonDocument.Parse(await NumpyAsync(Path.Combine(folder, "embeddings.npy")));
        Assert.Equal([3, Dimension], numpy.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(precision, numpy.RootElement.GetProperty("dtype").GetString());
        Assert.Equal(Convert.ToHexStringLower(expected), numpy.RootElement.GetProperty("hex").GetString());
    }

    [Fact]
    public async Task A_run_without_embeddings_is_refused_with_one_line_and_nothing_is_written()
    {
        var bare = await _database.StartRunAsync("bare");
        await using (var context = _database.Context())
        {
            var entity = await context.Runs.FindAsync(bare.Id);
            entity!.StoreEmbeddings = false;
            await context.SaveChangesAsync();
        }

        var path = Path.Combine(_dir.Path, "bare.parquet");
        var (exitCode, error) = await RunAsync("export", "--run", "bare", "--format", "parquet", "--out", path, "--embeddings");

        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("run bare has no embeddings", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    private byte[] Expected(string precision, string[] keys)
    {
        var values = keys.SelectMany(k => _embeddings[k]).ToArray();
        return precision == "float16"
            ? MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray()
            : MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    private static async Task<string> NumpyAsync(string path)
    {
        // Debian's NumPy (python3-numpy), the reference reader of the format; allow_pickle=False refuses object arrays.
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList =
            {
                "-c",
                "import json, sys, numpy as np\na = np.load(sys.argv[1], allow_pickle=False)\n"
                + "print(json.dumps({'shape': list(a.shape), 'dtype': str(a.dtype), 'hex': np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes().hex()}))",
                path,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        var output = await python.StandardOutput.ReadToEndAsync();
        var error = await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0, $"numpy.load failed (python3-numpy installed?): {error}");
        return output;
    }

    private async Task ExportAsync(params string[] args)
    {
        var (exitCode, error) = await RunAsync(["export", "--run", _run.Name, .. args]);
        Assert.True(exitCode == ExitCodes.Success, $"enb export {string.Join(' ', args)}: exit {exitCode}\n{error}");
    }

    private async Task<(int ExitCode, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync([.. args, .. DatabaseArgs], new CliConsole(output, error, isInteractive: false));
        return (exitCode, error.ToString());
    }

    /// <summary>The documented columns, read by name.</summary>
    public class Row
    {
        public string Key { get; set; } = "";
        public string Uri { get; set; } = "";
        public string Status { get; set; } = "";
        public int[] TopIndices { get; set; } = [];
        public string[] TopLabels { get; set; } = [];
        public float[] TopProbabilities { get; set; } = [];
        public string? FailureStage { get; set; }
        public string? FailureReason { get; set; }
    }

    public sealed class Row32 : Row
    {
        public float[]? Embedding { get; set; }
    }

    public sealed class Row16 : Row
    {
        public byte[]? EmbeddingFloat16 { get; set; }
    }
}

public sealed class SqliteEmbeddingExportTests : EmbeddingExportTests
{
    private EmbeddedDatabase? _embedded;

    protected override string[] DatabaseArgs => ["--db", _embedded!.FilePath];

    protected override async Task<StorageDatabase> CreateDatabaseAsync() => _embedded = await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresEmbeddingExportTests(PostgresDatabase postgres) : EmbeddingExportTests, IClassFixture<PostgresDatabase>
{
    protected override string[] DatabaseArgs => ["--postgres", postgres.ConnectionString];

    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}

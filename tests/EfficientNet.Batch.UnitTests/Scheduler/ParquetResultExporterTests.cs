using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;
using Parquet;
using Parquet.Serialization;

namespace EfficientNet.Batch.UnitTests.Scheduler;

/// <summary>
/// The Parquet exporter across row groups (one is written on a worker thread while the next fills), read back with
/// Parquet.Net, a second implementation of the format.
/// </summary>
public sealed class ParquetResultExporterTests
{
    private const int Dimension = 1280;

    // 16 MB of float32 embedding values per group: 3,277 rows of 1280 dimensions; 8,000 rows make three groups.
    private const int RowCount = 8_000;

    private static readonly string[] Labels = ["tench", "goldfish", "great white shark"];

    [Fact]
    public async Task A_run_of_several_row_groups_reads_back_row_for_row_in_order()
    {
        using var stream = new MemoryStream();

        var written = await new ParquetResultExporter(key => "/photos/" + key, EmbeddingPrecision.Binary32)
            .WriteAsync(Rows(RowCount), Labels, stream, CancellationToken.None);

        Assert.Equal(RowCount, written);
        stream.Position = 0;
        await using (var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true))
        {
            Assert.Equal(3, reader.RowGroupCount);
        }

        stream.Position = 0;
        var rows = (await ParquetSerializer.DeserializeAsync<Row>(stream)).Data;
        Assert.Equal(Enumerable.Range(0, RowCount).Select(Key), rows.Select(r => r.Key));
        Assert.Equal("/photos/" + Key(3_500), rows[3_500].Uri);
        foreach (var i in new[] { 0, 3_276, 3_278, 6_554, 6_555, RowCount - 1 })
        {
            Assert.Equal(Embedding(i).Select(h => (float)h), rows[i].Embedding);
            Assert.Equal(["goldfish", "great white shark"], rows[i].TopLabels);
        }

        // A failure opening the second group: no labels, no embedding, its stage and reason.
        var failed = rows[3_277];
        Assert.Equal(("failed", "decode", "truncated"), (failed.Status, failed.FailureStage, failed.FailureReason));
        Assert.Null(failed.Embedding);
        Assert.Empty(failed.TopIndices);
        Assert.Empty(failed.TopLabels);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Label_names_are_written_as_utf8_and_an_index_without_a_name_as_its_number(bool withLabelsFile)
    {
        using var stream = new MemoryStream();
        string[] labels = ["", "naïve café", "金魚"];
        ExportRow[] written =
        [
            new("a.jpg", true, [2, 1, 0, 7], [0.4f, 0.3f, 0.2f, 0.1f], null, null),
            new("b.jpg", false, [], [], "fetch", "gone"),
            new("c.jpg", true, [1, 1], [0.5f, 0.5f], null, null),
        ];

        await new ParquetResultExporter(key => key, embeddings: null).WriteAsync(written.ToAsyncEnumerable(), withLabelsFile ? labels : null, stream, CancellationToken.None);

        stream.Position = 0;
        var rows = (await ParquetSerializer.DeserializeAsync<Row>(stream)).Data;
        Assert.Equal(withLabelsFile ? ["金魚", "naïve café", "", "7"] : ["2", "1", "0", "7"], rows[0].TopLabels);
        Assert.Empty(rows[1].TopLabels);
        Assert.Equal(withLabelsFile ? ["naïve café", "naïve café"] : ["1", "1"], rows[2].TopLabels);
    }

    [Fact]
    public async Task An_error_while_reading_reaches_the_caller()
    {
        using var stream = new MemoryStream();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new ParquetResultExporter(key => key, EmbeddingPrecision.Binary32).WriteAsync(Rows(5_000, failAt: 4_000), Labels, stream, CancellationToken.None));

        Assert.Equal("database gone at row 4000", error.Message);
    }

    private static string Key(int i) => $"img/{i:D5}.jpg";

    private static Half[] Embedding(int i) => Enumerable.Range(0, Dimension).Select(d => (Half)MathF.Sin(i + d)).ToArray();

    private static async IAsyncEnumerable<ExportRow> Rows(int count, int failAt = -1)
    {
        for (var i = 0; i < count; i++)
        {
            if (i == failAt)
            {
                throw new InvalidOperationException($"database gone at row {i}");
            }

            yield return i == 3_277
                ? new ExportRow(Key(i), false, [], [], "decode", "truncated")
                : new ExportRow(Key(i), true, [1, 2], [0.75f, 0.25f], null, null, Float16Blob.ToBytes(Embedding(i)));
            await Task.Yield();
        }
    }

    public sealed class Row
    {
        public string Key { get; set; } = "";
        public string Uri { get; set; } = "";
        public string Status { get; set; } = "";
        public int[] TopIndices { get; set; } = [];
        public string[] TopLabels { get; set; } = [];
        public string? FailureStage { get; set; }
        public string? FailureReason { get; set; }
        public float[]? Embedding { get; set; }
    }
}

using System.Text;
using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class NpyEmbeddingExporterTests
{
    private static async IAsyncEnumerable<ExportRow> Rows(params (string Key, Half[]? Embedding)[] rows)
    {
        foreach (var (key, embedding) in rows)
        {
            yield return new ExportRow(key, embedding is not null, [], [], null, null, embedding is null ? null : Float16Blob.ToBytes(embedding));
        }

        await Task.CompletedTask;
    }

    private static async Task<(byte[] Npy, string Keys, long Count)> ExportAsync(EmbeddingPrecision precision, params (string, Half[]?)[] rows)
    {
        using var npy = new MemoryStream();
        using var keys = new MemoryStream();
        var count = await new NpyEmbeddingExporter(precision).WriteAsync(Rows(rows), npy, keys, CancellationToken.None);
        return (npy.ToArray(), Encoding.UTF8.GetString(keys.ToArray()), count);
    }

    [Fact]
    public async Task The_header_names_dtype_and_final_shape_and_rows_without_embedding_are_left_out()
    {
        var (npy, keys, count) = await ExportAsync(
            EmbeddingPrecision.Binary32, ("a.jpg", [(Half)1, (Half)(-2)]), ("failed.jpg", null), ("b.jpg", [(Half)0.5, (Half)4]));

        Assert.Equal(2, count);
        Assert.Equal("a.jpg\nb.jpg\n", keys);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 }, npy[..10]);
        Assert.Equal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", Encoding.ASCII.GetString(npy, 10, 118).TrimEnd());
        Assert.Equal((byte)'\n', npy[127]);
        Assert.Equal(new[] { 1f, -2f, 0.5f, 4f }, Enumerable.Range(0, 4).Select(i => BitConverter.ToSingle(npy, 128 + (i * 4))));
    }

    [Fact]
    public async Task Float16_writes_two_bytes_per_value()
    {
        var (npy, _, _) = await ExportAsync(EmbeddingPrecision.Binary16, ("a.jpg", [(Half)1, (Half)(-2.5)]));

        Assert.Contains("'descr': '<f2'", Encoding.ASCII.GetString(npy, 10, 118), StringComparison.Ordinal);
        Assert.Equal(new byte[] { 0x00, 0x3C, 0x00, 0xC1 }, npy[128..]);
    }

    [Fact]
    public async Task An_empty_run_is_a_zero_by_zero_array()
    {
        var (npy, keys, count) = await ExportAsync(EmbeddingPrecision.Binary32);

        Assert.Equal(0, count);
        Assert.Equal("", keys);
        Assert.Contains("'shape': (0, 0)", Encoding.ASCII.GetString(npy, 10, 118), StringComparison.Ordinal);
        Assert.Equal(128, npy.Length);
    }

    [Fact]
    public async Task Embeddings_of_different_lengths_are_refused()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => ExportAsync(EmbeddingPrecision.Binary32, ("a.jpg", [(Half)1, (Half)2]), ("b.jpg", [(Half)1])));

        Assert.Contains("image 'b.jpg' has an embedding of 1 values where earlier images have 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_with_a_line_break_is_refused_because_keys_txt_is_one_key_per_line()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => ExportAsync(EmbeddingPrecision.Binary32, ("a\nb.jpg", [(Half)1])));
    }
}

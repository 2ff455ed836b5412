using System.Text;
using System.Text.Json;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Storage.PseudoLabels;
using Parquet;
using Parquet.Serialization;

namespace EfficientNet.Batch.UnitTests.PseudoLabels;

public sealed class PseudoLabelExportTests
{
    private static readonly string[] Labels = ["tench", "goldfish", "great white shark"];

    private static PseudoLabelSetInfo Set(PseudoLabelMode mode, double temperature = 1.0) => new(
        1, "gen1", Guid.NewGuid(), "teacher", 1, "b7", "ab", null, null, 1, mode, temperature, 3, 0.3, 0, 2, 3, DateTimeOffset.UnixEpoch);

    private static async IAsyncEnumerable<PseudoLabelRow> Rows()
    {
        yield return new PseudoLabelRow(1, "/corpus", "a/cat, \"one\".jpg", 2, 0.75f, 2, [2, 0], [0.75f, 0.125f], null);
        yield return new PseudoLabelRow(2, "az://photos/2026", "b.jpg", 1, 0.5f, 1, [1, 2], [0.5f, 0.25f], [0.25f, 0.5f, 0.25f]);
        await Task.CompletedTask;
    }

    private static async Task<List<PseudoLabelSample>> SamplesAsync(PseudoLabelSetInfo set, bool rowPerCopy)
    {
        var samples = new List<PseudoLabelSample>();
        await foreach (var sample in PseudoLabelSamples.FromAsync(Rows(), set, Labels, rowPerCopy, CancellationToken.None))
        {
            samples.Add(sample);
        }

        return samples;
    }

    [Fact]
    public async Task Hard_sets_export_the_label_and_copies_without_soft_labels()
    {
        var samples = await SamplesAsync(Set(PseudoLabelMode.Hard), rowPerCopy: false);
        Assert.Equal(["/corpus/a/cat, \"one\".jpg", "az://photos/2026/b.jpg"], samples.Select(s => s.Uri));
        Assert.Equal([(2, "great white shark", 2), (1, "goldfish", 1)], samples.Select(s => (s.Label, s.LabelName, s.Copies)));
        Assert.All(samples, s => Assert.Empty(s.SoftIndices));
    }

    [Fact]
    public async Task Soft_sets_sharpen_the_full_distribution_when_stored_and_renormalise_the_top_k_otherwise()
    {
        var samples = await SamplesAsync(Set(PseudoLabelMode.Soft, temperature: 0.5), rowPerCopy: false);
        Assert.Equal([2, 0], samples[0].SoftIndices);
        Assert.Equal(SoftLabels.Sharpen([0.75f, 0.125f], 0.5), samples[0].SoftProbabilities);
        Assert.Equal([0, 1, 2], samples[1].SoftIndices);
        Assert.Equal(SoftLabels.Sharpen([0.25f, 0.5f, 0.25f], 0.5), samples[1].SoftProbabilities);
    }

    [Fact]
    public async Task One_row_per_copy_repeats_an_image_as_many_times_as_it_is_a_sample()
    {
        var samples = await SamplesAsync(Set(PseudoLabelMode.Hard), rowPerCopy: true);
        Assert.Equal(["a/cat, \"one\".jpg", "a/cat, \"one\".jpg", "b.jpg"], samples.Select(s => s.Key));
        Assert.All(samples, s => Assert.Equal(1, s.Copies));
    }

    [Fact]
    public async Task Jsonl_writes_one_object_per_image_in_the_documented_shape()
    {
        var text = await ExportAsync(new JsonlPseudoLabelExporter(), PseudoLabelMode.Soft);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(
            ["uri", "key", "label", "label_name", "confidence", "copies", "soft_labels"],
            first.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, first.RootElement.GetProperty("soft_labels").GetArrayLength());
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public async Task Csv_quotes_keys_with_commas_and_quotes()
    {
        var lines = (await ExportAsync(new CsvPseudoLabelExporter(), PseudoLabelMode.Hard)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("uri,key,label,label_name,confidence,copies,soft_labels", lines[0]);
        Assert.Equal("\"/corpus/a/cat, \"\"one\"\".jpg\",\"a/cat, \"\"one\"\".jpg\",2,great white shark,0.75,2,", lines[1]);
    }

    [Fact]
    public async Task Parquet_is_written_in_row_groups_and_reads_back_row_for_row()
    {
        var samples = Enumerable.Range(0, 5).Select(i => new PseudoLabelSample
        {
            Uri = $"/c/{i}.jpg", Key = $"{i}.jpg", Label = i, LabelName = $"class {i}", Confidence = i / 10f, Copies = i + 1,
            SoftIndices = [i, i + 1], SoftProbabilities = [0.75f, 0.25f],
        }).ToList();
        using var stream = new MemoryStream();

        var written = await new ParquetPseudoLabelExporter(rowGroupRows: 2).WriteAsync(samples.ToAsyncEnumerable(), stream, CancellationToken.None);
        stream.Position = 0;
        await using (var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true))
        {
            Assert.Equal(3, reader.RowGroupCount);
        }

        stream.Position = 0;
        var back = (await ParquetSerializer.DeserializeAsync<PseudoLabelSample>(stream)).Data;

        Assert.Equal(5, written);
        Assert.Equal(samples.Select(s => (s.Uri, s.Label, s.Copies, s.Confidence)), back.Select(s => (s.Uri, s.Label, s.Copies, s.Confidence)));
        Assert.Equal(samples.Select(s => s.SoftIndices), back.Select(s => s.SoftIndices));
    }

    private static async Task<string> ExportAsync(IPseudoLabelExporter exporter, PseudoLabelMode mode)
    {
        using var stream = new MemoryStream();
        await exporter.WriteAsync(PseudoLabelSamples.FromAsync(Rows(), Set(mode), Labels, false, CancellationToken.None), stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

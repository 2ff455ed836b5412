using System.Text;
using System.Text.Json;
using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class ResultExporterTests
{
    private static readonly string[] Labels = ["tench", "goldfish", "great white shark"];

    private static async IAsyncEnumerable<ExportRow> Rows()
    {
        yield return new ExportRow("a/cat, \"one\".jpg", true, [2, 0], [0.75f, 0.125f], null, null);
        yield return new ExportRow("b.jpg", false, [], [], "decode", "not an image: unrecognised format");
        await Task.CompletedTask;
    }

    private static async Task<string> ExportAsync(IResultExporter exporter)
    {
        using var stream = new MemoryStream();
        await exporter.WriteAsync(Rows(), Labels, stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Jsonl_writes_one_object_per_image_in_the_documented_shape()
    {
        var lines = (await ExportAsync(new JsonlResultExporter())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);

        using var ok = JsonDocument.Parse(lines[0]);
        Assert.Equal(["key", "status", "labels", "error"], ok.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ok", ok.RootElement.GetProperty("status").GetString());
        var first = ok.RootElement.GetProperty("labels")[0];
        Assert.Equal(["index", "label", "p"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, first.GetProperty("index").GetInt32());
        Assert.Equal("great white shark", first.GetProperty("label").GetString());
        Assert.Equal(0.75, first.GetProperty("p").GetDouble());
        Assert.Equal(JsonValueKind.Null, ok.RootElement.GetProperty("error").ValueKind);

        using var failed = JsonDocument.Parse(lines[1]);
        Assert.Equal("failed", failed.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, failed.RootElement.GetProperty("labels").GetArrayLength());
        Assert.Equal("decode", failed.RootElement.GetProperty("error").GetProperty("stage").GetString());
        Assert.Equal("not an image: unrecognised format", failed.RootElement.GetProperty("error").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Csv_quotes_fields_with_commas_and_quotes_and_has_a_column_triple_per_label()
    {
        var lines = (await ExportAsync(new CsvResultExporter(2))).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("key,status,label_1,index_1,p_1,label_2,index_2,p_2,error_stage,error_reason", lines[0]);
        Assert.Equal("\"a/cat, \"\"one\"\".jpg\",ok,great white shark,2,0.75,tench,0,0.125,,", lines[1]);
        Assert.Equal("b.jpg,failed,,,,,,,decode,not an image: unrecognised format", lines[2]);
    }

    [Fact]
    public async Task Without_a_labels_file_the_class_index_stands_in_for_the_label()
    {
        using var stream = new MemoryStream();
        await new JsonlResultExporter().WriteAsync(Rows(), null, stream, CancellationToken.None);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray()).Split('\n')[0]);
        Assert.Equal("2", doc.RootElement.GetProperty("labels")[0].GetProperty("label").GetString());
    }
}

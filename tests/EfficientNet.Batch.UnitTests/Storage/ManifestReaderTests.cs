using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class ManifestReaderTests
{
    [Fact]
    public async Task A_text_manifest_yields_one_trimmed_reference_per_line_skipping_blanks_and_comments()
    {
        var keys = await KeysAsync(ManifestFormat.Text, "a.jpg\r\n  sub/b c.png  \n\n# a comment\naz://photos/x.jpg\n");

        Assert.Equal(["a.jpg", "sub/b c.png", "az://photos/x.jpg"], keys);
    }

    [Fact]
    public async Task A_csv_manifest_without_a_header_uses_the_first_column()
    {
        var keys = await KeysAsync(ManifestFormat.Csv, "a.jpg,cat\nb.jpg,dog\n");

        Assert.Equal(["a.jpg", "b.jpg"], keys);
    }

    [Theory]
    [InlineData("label,key\ncat,a.jpg\n")]
    [InlineData("label,PATH\ncat,a.jpg\n")]
    [InlineData("id,uri,label\n1,a.jpg,cat\n")]
    public async Task A_csv_header_naming_key_path_or_uri_picks_that_column(string csv)
    {
        Assert.Equal(["a.jpg"], await KeysAsync(ManifestFormat.Csv, csv));
    }

    [Fact]
    public async Task Quoted_csv_fields_may_hold_commas_quotes_and_line_breaks()
    {
        var keys = await KeysAsync(ManifestFormat.Csv, "key,label\n\"a, b.jpg\",x\n\"say \"\"hi\"\".jpg\",y\n\"two\nlines.jpg\",z\n");

        Assert.Equal(["a, b.jpg", "say \"hi\".jpg", "two\nlines.jpg"], keys);
    }

    [Fact]
    public async Task A_csv_row_without_the_key_column_names_its_line()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => KeysAsync(ManifestFormat.Csv, "label,key\ncat,a.jpg\ndog\n"));

        Assert.Equal("manifest list.csv, line 3: 1 column(s), but the reference is in column 2", error.Message);
    }

    [Fact]
    public async Task An_unclosed_csv_quote_names_the_line_it_opened_on()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => KeysAsync(ManifestFormat.Csv, "a.jpg\n\"b.jpg\nc.jpg\n"));

        Assert.Equal("manifest list.csv, line 2: a quoted field is not closed before the end of the file", error.Message);
    }

    [Fact]
    public async Task A_jsonl_manifest_reads_key_path_or_uri_fields_and_bare_strings()
    {
        var keys = await KeysAsync(
            ManifestFormat.JsonLines,
            "{\"key\":\"a.jpg\",\"label\":\"cat\"}\n\n{\"path\":\"b.jpg\"}\n{\"uri\":\"az://c/d.jpg\"}\n\"e.jpg\"\n{\"path\":\"ignored\",\"key\":\"f.jpg\"}\n");

        Assert.Equal(["a.jpg", "b.jpg", "az://c/d.jpg", "e.jpg", "f.jpg"], keys);
    }

    [Theory]
    [InlineData("{\"key\":\"a.jpg\"}\n{\"name\":\"b.jpg\"}\n", "manifest list.csv, line 2: expected an object with a \"key\", \"path\" or \"uri\" string, or a JSON string")]
    [InlineData("{\"key\":\"a.jpg\"}\n{\"key\": 12}\n", "manifest list.csv, line 2: expected an object with a \"key\", \"path\" or \"uri\" string, or a JSON string")]
    [InlineData("{\"key\":\"\"}\n", "manifest list.csv, line 1: empty reference")]
    public async Task A_jsonl_line_without_a_reference_names_its_line(string jsonl, string message)
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => KeysAsync(ManifestFormat.JsonLines, jsonl));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task Invalid_json_names_its_line()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => KeysAsync(ManifestFormat.JsonLines, "{\"key\":\"a.jpg\"}\n{key: b.jpg}\n"));

        Assert.StartsWith("manifest list.csv, line 2: not valid JSON", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<string>> KeysAsync(ManifestFormat format, string text)
    {
        var keys = new List<string>();
        await foreach (var key in ManifestReader.ReadKeysAsync(new StringReader(text), format, "list.csv", CancellationToken.None))
        {
            keys.Add(key);
        }

        return keys;
    }
}

using System.Text.Json;
using EfficientNet.Batch.IntegrationTests.Blobs;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.IntegrationTests.Embedded;

/// <summary>
/// Embedded <c>label</c> over every source submit takes: an az:// prefix (Azurite), a manifest of az:// URIs and local
/// files, <c>--only-new</c>; and a source that cannot be read is one line, exit 3, and no database file.
/// </summary>
public sealed class EmbeddedSourcesTests(BlobContainerFixture container) : IClassFixture<BlobContainerFixture>, IDisposable
{
    private readonly TempDirectory _dir = new("enb-sources");

    private EmbeddedCli Cli => new(_dir.File("results.db"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Label_labels_an_az_prefix_and_a_manifest_of_az_uris_and_local_files_in_this_process()
    {
        var photos = EmbeddedCli.SamplePhotos();
        var prefix = BlobContainerFixture.NewPrefix();
        foreach (var (name, path) in photos)
        {
            await container.UploadFileAsync($"{prefix}/{name}", path);
        }

        await container.UploadAsync($"{prefix}/nested/moved.jpg", "<html>moved</html>"u8.ToArray());

        var (exitCode, output, error) = await Cli.RunAsync("label", $"az://{container.Name}/{prefix}", "--run-name", "blobs", "--error-budget", "0.5", "--shard-size", "3");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("Run blobs completed", output, StringComparison.Ordinal);
        var rows = await Cli.ExportStatusesAsync("blobs");
        Assert.Equal(photos.Select(p => p.Name).Append("nested/moved.jpg").Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("failed", rows["nested/moved.jpg"]);
        Assert.All(photos, p => Assert.Equal("ok", rows[p.Name]));

        // A manifest mixing blob URIs and a file beside it, each labeled where it lives.
        File.Copy(photos[0].Path, _dir.File("local.jpg"));
        var manifest = _dir.File("mixed.jsonl");
        string[] references = [$"az://{container.Name}/{prefix}/{photos[1].Name}", $"az://{container.Name}/{prefix}/{photos[2].Name}", "local.jpg"];
        await File.WriteAllLinesAsync(manifest, references.Select(r => JsonSerializer.Serialize(new { uri = r })));

        (exitCode, output, error) = await Cli.RunAsync("label", $"manifest:{manifest}", "--run-name", "manifest");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{output}\n{error}");
        rows = await Cli.ExportStatusesAsync("manifest");
        Assert.Equal(references.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        Assert.All(rows.Values, status => Assert.Equal("ok", status));
    }

    [Fact]
    public async Task Label_with_only_new_leaves_out_the_images_this_model_already_labeled()
    {
        var photos = EmbeddedCli.SamplePhotos();
        var corpus = Directory.CreateDirectory(_dir.File("corpus")).FullName;
        foreach (var (name, path) in photos.Take(3))
        {
            File.Copy(path, Path.Combine(corpus, name));
        }

        Assert.Equal(ExitCodes.Success, (await Cli.RunAsync("label", corpus, "--run-name", "first")).ExitCode);
        foreach (var (name, path) in photos.Skip(3))
        {
            File.Copy(path, Path.Combine(corpus, name));
        }

        var (exitCode, output, error) = await Cli.RunAsync("label", corpus, "--run-name", "second", "--only-new");
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}\n{output}\n{error}");
        var second = await Cli.ExportStatusesAsync("second");
        Assert.Equal(photos.Skip(3).Select(p => p.Name).Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));

        // Without the flag, everything is labeled again.
        Assert.Equal(ExitCodes.Success, (await Cli.RunAsync("label", corpus, "--run-name", "third")).ExitCode);
        Assert.Equal(photos.Count, (await Cli.ExportStatusesAsync("third")).Count);
    }

    public static TheoryData<string, string> UnreadableSources() => new()
    {
        { "ftp://example.org/photos", "unknown image location scheme 'ftp://'" },
        { "az://enb-no-such-container-{0}/photos", "container 'enb-no-such-container-" },
        { "manifest:{1}", "bad.jsonl, line 2: not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(UnreadableSources))]
    public async Task A_source_that_cannot_be_read_is_one_line_exit_3_and_no_database(string source, string expected)
    {
        var manifest = _dir.File("bad.jsonl");
        await File.WriteAllLinesAsync(manifest, ["{\"uri\": \"a.jpg\"}", "{not json"]);
        var (exitCode, output, error) = await Cli.RunAsync("label", string.Format(source, Guid.NewGuid().ToString("N"), manifest));

        Assert.True(exitCode == ExitCodes.InvalidInput, $"exit {exitCode}\n{output}\n{error}");
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(File.Exists(Cli.Database), "a database was written for a source that cannot be read");
    }

    [Fact]
    public async Task An_az_source_without_blob_credentials_names_the_setting_and_writes_nothing()
    {
        var (exitCode, output) = await ChildProcess.RunAsync(
            "enb", new Dictionary<string, string> { ["ConnectionStrings__Blob"] = "" }, TimeSpan.FromSeconds(60),
            "label", $"az://{container.Name}/photos", "--db", Cli.Database);

        Assert.True(exitCode == ExitCodes.InvalidInput, $"exit {exitCode}\n{output}");
        Assert.Contains("ConnectionStrings:Blob", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Cli.Database));
    }
}

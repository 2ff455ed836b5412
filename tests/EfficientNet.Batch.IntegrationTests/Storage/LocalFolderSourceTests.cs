using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public sealed class LocalFolderSourceTests : IDisposable
{
    private readonly TempDirectory _folder = new("enb-source");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Keys_come_out_depth_first_in_ordinal_order_per_folder()
    {
        Touch("b.jpg", "a.jpg", "sub/z.png", "sub/deeper/y.jpg", "sub/a.webp", "a-b/c.gif", "B.JPG");

        var keys = await KeysAsync(_folder.Path);

        Assert.Equal(["B.JPG", "a-b/c.gif", "a.jpg", "b.jpg", "sub/a.webp", "sub/deeper/y.jpg", "sub/z.png"], keys);
        Assert.Equal(keys, await KeysAsync(_folder.Path));
    }

    [Fact]
    public async Task Unicode_and_spaces_in_names_are_listed_as_they_are()
    {
        Touch("été à Paris/photo 1.jpg", "日本/猫.png", "with  two spaces.jpeg");

        var keys = await KeysAsync(_folder.Path);

        Assert.Equal(["with  two spaces.jpeg", "été à Paris/photo 1.jpg", "日本/猫.png"], keys);
    }

    [Fact]
    public async Task Hidden_files_and_folders_are_skipped()
    {
        Touch(".hidden.jpg", ".thumbnails/a.jpg", "visible/.DS_Store", "visible/b.jpg");

        Assert.Equal(["visible/b.jpg"], await KeysAsync(_folder.Path));
    }

    [Fact]
    public async Task Only_files_with_image_extensions_are_listed_whatever_their_case()
    {
        // .svg is listed so that it becomes a failure row ("unsupported format: SVG"), not a silent skip.
        Touch("a.JPG", "b.Jpeg", "c.png", "d.tiff", "e.HEIC", "f.avif", "g.txt", "h.json", "i", "j.jpg.part", "k.svg", "l.bmp", "m.TGA", "n.ppm", "o.ico", "p.psd");

        Assert.Equal(["a.JPG", "b.Jpeg", "c.png", "d.tiff", "e.HEIC", "f.avif", "k.svg", "l.bmp", "m.TGA", "n.ppm", "o.ico"], await KeysAsync(_folder.Path));
    }

    [Fact]
    public async Task Empty_folders_yield_nothing()
    {
        Directory.CreateDirectory(_folder.File("empty/also-empty"));

        Assert.Empty(await KeysAsync(_folder.Path));
    }

    [Fact]
    public async Task Symbolic_links_to_folders_are_not_followed()
    {
        Touch("real/a.jpg");
        Directory.CreateSymbolicLink(_folder.File("loop"), _folder.Path);

        Assert.Equal(["real/a.jpg"], await KeysAsync(_folder.Path));
    }

    [Fact]
    public void The_location_is_the_full_path_of_the_folder()
    {
        Assert.Equal(_folder.Path, new LocalFolderSource(_folder.Path + "/./").Location.TrimEnd('/'));
    }

    [Fact]
    public void A_missing_root_folder_is_refused_naming_it()
    {
        var missing = _folder.File("nope");

        var error = Assert.Throws<DirectoryNotFoundException>(() => new LocalFolderSource(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_stops_when_cancelled()
    {
        Touch("a.jpg", "b.jpg");
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in new LocalFolderSource(_folder.Path).EnumerateKeysAsync(cancel.Token))
            {
            }
        });
    }

    [Fact]
    public async Task The_factory_lists_a_local_folder_given_as_a_path_or_file_uri()
    {
        Touch("a.jpg");

        Assert.Equal(_folder.Path, Factory().Create(_folder.Path).Location);
        Assert.Equal(_folder.Path, Factory().Create(new Uri(_folder.Path).AbsoluteUri).Location);
        Assert.Equal(["a.jpg"], await KeysAsync(Factory().Create(_folder.Path).Location));
    }

    [Theory]
    [InlineData("https://account.blob.core.windows.net/container/prefix", "http(s) URLs are not image locations")]
    [InlineData("ftp://host/images", "unknown image location scheme 'ftp://'")]
    public void The_factory_refuses_sources_it_cannot_list(string location, string reason)
    {
        var error = Assert.Throws<NotSupportedException>(() => Factory().Create(location));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(location, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factory_refuses_a_file_that_is_not_a_manifest()
    {
        Touch("notes.doc");

        var error = Assert.Throws<NotSupportedException>(() => Factory().Create(_folder.File("notes.doc")));

        Assert.Contains("is a file, not a folder; a manifest must end in .txt, .csv, .jsonl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factory_refuses_a_missing_folder_naming_it()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => Factory().Create(_folder.File("nope")));

        Assert.Contains(_folder.File("nope"), error.Message, StringComparison.Ordinal);
    }

    private static ImageSourceFactory Factory()
    {
        var options = new ImageStoreOptions();
        return new ImageSourceFactory(new BlobAccount(null, options), Options.Create(options));
    }

    private static async Task<List<string>> KeysAsync(string root)
    {
        var keys = new List<string>();
        await foreach (var key in new LocalFolderSource(root).EnumerateKeysAsync(CancellationToken.None))
        {
            keys.Add(key);
        }

        return keys;
    }

    private void Touch(params string[] keys)
    {
        foreach (var key in keys)
        {
            var path = _folder.File(key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, [0xFF, 0xD8]);
        }
    }
}

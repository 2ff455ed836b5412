using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class ImageLocationTests
{
    [Theory]
    [InlineData("az://photos", "photos", "")]
    [InlineData("az://photos/", "photos", "")]
    [InlineData("az://photos/2024/cats", "photos", "2024/cats")]
    [InlineData("az://photos/2024/cats/", "photos", "2024/cats")]
    [InlineData("AZ://photos/été à Paris", "photos", "été à Paris")]
    public void An_az_location_is_a_container_and_a_folder_prefix(string location, string container, string prefix)
    {
        var blob = Assert.IsType<BlobLocation>(ImageLocation.Parse(location));

        Assert.Equal(new BlobLocation(container, prefix), blob);
        Assert.Equal(blob, ImageLocation.Parse(blob.ToString()));
    }

    [Fact]
    public void Keys_of_an_az_location_are_blob_names_relative_to_its_prefix()
    {
        var cats = new BlobLocation("photos", "2024/cats");

        Assert.Equal("2024/cats/", cats.ListPrefix);
        Assert.Equal("2024/cats/tabby.jpg", cats.BlobName("tabby.jpg"));
        Assert.Null(new BlobLocation("photos", "").ListPrefix);
        Assert.Equal("tabby.jpg", new BlobLocation("photos", "").BlobName("tabby.jpg"));
    }

    [Theory]
    [InlineData("az://Photos/x", "not a blob container name")]
    [InlineData("az://ab/x", "not a blob container name")]
    [InlineData("az://a--b/x", "not a blob container name")]
    [InlineData("az://", "not a blob container name")]
    [InlineData("az://photos/../other", "has an empty, '.' or '..' segment")]
    [InlineData("az://photos/a//b", "has an empty, '.' or '..' segment")]
    public void A_malformed_az_location_is_refused_with_the_rule(string location, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ImageLocation.Parse(location));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://account.blob.core.windows.net/photos/x", "http(s) URLs are not image locations")]
    [InlineData("http://example.com/images", "http(s) URLs are not image locations")]
    [InlineData("s3://bucket/prefix", "unknown image location scheme 's3://'")]
    [InlineData("abfss://fs@account.dfs.core.windows.net/x", "unknown image location scheme 'abfss://'")]
    public void Unsupported_schemes_are_refused_naming_the_location(string location, string reason)
    {
        var error = Assert.Throws<NotSupportedException>(() => ImageLocation.Parse(location));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(location.Split('?')[0], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sas_token_in_a_refused_location_is_masked()
    {
        var error = Assert.Throws<NotSupportedException>(() => ImageLocation.Parse("https://a.blob.core.windows.net/c?sv=2024&sig=SECRETSIG"));

        Assert.DoesNotContain("SECRETSIG", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("manifest:/data/list.txt", ManifestFormat.Text)]
    [InlineData("manifest:/data/list.CSV", ManifestFormat.Csv)]
    [InlineData("MANIFEST:/data/list.jsonl", ManifestFormat.JsonLines)]
    [InlineData("manifest:/data/list.ndjson", ManifestFormat.JsonLines)]
    [InlineData("manifest:file:///data/list.txt", ManifestFormat.Text)]
    public void A_manifest_location_names_an_absolute_file_and_its_format(string location, ManifestFormat format)
    {
        var manifest = Assert.IsType<ManifestLocation>(ImageLocation.Parse(location));

        Assert.Equal(format, manifest.Format);
        Assert.StartsWith("/data/list.", manifest.ManifestPath, StringComparison.Ordinal);
        Assert.Equal("/data", manifest.Folder);
        Assert.Equal(manifest, ImageLocation.Parse(manifest.ToString()));
    }

    [Theory]
    [InlineData("manifest:/data/list.xlsx", "must end in .txt, .csv, .jsonl, .ndjson")]
    [InlineData("manifest:az://photos/list.txt", "manifests are read from local files")]
    public void A_manifest_that_cannot_be_read_is_refused(string location, string reason)
    {
        var error = Assert.Throws<NotSupportedException>(() => ImageLocation.Parse(location));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("az://photos/a.jpg", "photos", "a.jpg")]
    [InlineData("az://photos/2024/cats/tabby one.jpg", "photos", "2024/cats/tabby one.jpg")]
    public void A_blob_uri_names_a_container_and_a_blob(string uri, string container, string name)
    {
        Assert.Equal((container, name), BlobLocation.ParseBlobUri(uri));
    }

    [Theory]
    [InlineData("az://photos")]
    [InlineData("az://photos/")]
    [InlineData("az://photos/cats/")]
    [InlineData("az://photos/../secrets/a.jpg")]
    [InlineData("/local/a.jpg")]
    public void A_blob_uri_without_a_proper_blob_name_is_refused(string uri)
    {
        Assert.Throws<FormatException>(() => BlobLocation.ParseBlobUri(uri));
    }

    [Theory]
    [InlineData("a.jpg", null)]
    [InlineData("cats/tabby one.jpg", null)]
    [InlineData("cats//double.jpg", null)]
    [InlineData("", "empty image key")]
    [InlineData("../x.jpg", "would leave the prefix")]
    [InlineData("cats/./x.jpg", "would leave the prefix")]
    [InlineData("/x.jpg", "leading or trailing '/'")]
    [InlineData("cats/", "leading or trailing '/'")]
    public void Blob_keys_that_could_leave_their_prefix_are_refused(string key, string? reason)
    {
        var problem = BlobLocation.KeyProblem(key);

        if (reason is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(reason, problem, StringComparison.Ordinal);
        }
    }
}

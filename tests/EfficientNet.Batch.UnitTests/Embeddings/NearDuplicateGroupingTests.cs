using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.UnitTests.Embeddings;

public sealed class NearDuplicateGroupingTests
{
    [Fact]
    public void Pairs_join_transitively_into_groups_listed_largest_first_with_the_smallest_id_kept()
    {
        var parents = new Dictionary<long, long>();
        foreach (var (a, b) in new (long, long)[] { (9, 4), (4, 7), (20, 21), (30, 31), (31, 32), (32, 33), (7, 9) })
        {
            NearDuplicates.Union(parents, a, b);
        }

        var report = new NearDuplicateReport(0.95, 100, NearDuplicates.Groups(parents));

        Assert.Equal([[30L, 31, 32, 33], [4L, 7, 9], [20L, 21]], report.Groups.Select(g => g.ImageIds.ToArray()));
        Assert.Equal((9L, 6L), (report.ImagesInGroups, report.WouldDrop));
        Assert.Equal([31L, 32, 33, 7, 9, 21], report.Dropped);
    }

    [Fact]
    public void The_order_pairs_arrive_in_does_not_change_the_groups()
    {
        var pairs = new (long, long)[] { (1, 2), (3, 4), (2, 3), (10, 11), (12, 10) };
        var forward = new Dictionary<long, long>();
        var backward = new Dictionary<long, long>();
        foreach (var (a, b) in pairs)
        {
            NearDuplicates.Union(forward, a, b);
        }

        foreach (var (a, b) in pairs.Reverse())
        {
            NearDuplicates.Union(backward, b, a);
        }

        Assert.Equal(
            NearDuplicates.Groups(forward).Select(g => string.Join(',', g.ImageIds)),
            NearDuplicates.Groups(backward).Select(g => string.Join(',', g.ImageIds)));
    }

    [Fact]
    public void A_manifest_refuses_another_model_and_another_dimension_naming_both()
    {
        var manifest = new IndexManifest(IndexManifest.CurrentFormat, Guid.NewGuid(), "eval", "b0", new string('a', 64), 1280, "cosine", "f16", 10, 16, 128, 64, DateTimeOffset.UnixEpoch);

        manifest.EnsureServes(new string('A', 64), 1280);
        Assert.Contains("built for model b0", Assert.Throws<IndexMismatchException>(() => manifest.EnsureServes(new string('b', 64), 1280)).Message);
        Assert.Contains("holds 1280-d embeddings, the query has 320", Assert.Throws<IndexMismatchException>(() => manifest.EnsureServes(new string('a', 64), 320)).Message);
    }

    [Theory]
    [InlineData("az://photos/2024", "cats/1.jpg", "az://photos/2024/cats/1.jpg")]
    [InlineData("az://photos", "1.jpg", "az://photos/1.jpg")]
    public void Image_uris_join_the_source_and_the_key(string source, string key, string expected) =>
        Assert.Equal(expected, ImageUri.Of(source, key));
}

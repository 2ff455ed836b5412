using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.UnitTests.PseudoLabels;

public sealed class SelectionHashTests
{
    [Fact]
    public void Hashes_of_consecutive_image_ids_spread_evenly_over_the_unit_interval()
    {
        var bins = new int[10];
        const int n = 100_000;
        for (long id = 1; id <= n; id++)
        {
            var h = SelectionHash.Of(id, seed: 3);
            Assert.InRange(h, 0, SelectionHash.Modulus - 1);
            bins[(int)(h * 10 / SelectionHash.Modulus)]++;
        }

        // Each tenth should hold 10,000 hashes; a fair coin's spread is about 95 here.
        Assert.All(bins, count => Assert.InRange(count, 9_500, 10_500));
    }

    [Fact]
    public void Negative_seeds_and_ids_hash_like_their_residues()
    {
        Assert.Equal(SelectionHash.Of(5, SelectionHash.Modulus - 1), SelectionHash.Of(5, -1));
    }

    [Fact]
    public void The_sql_text_reads_only_the_image_id_expression_and_the_seed_parameter()
    {
        var sql = SelectionHash.Sql("p.image_id", "@seed");
        Assert.Contains("p.image_id", sql, StringComparison.Ordinal);
        Assert.Contains("@seed", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("^", sql, StringComparison.Ordinal);
    }
}

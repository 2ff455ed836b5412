using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.UnitTests.PseudoLabels;

public sealed class NoisyStudentSelectorTests
{
    private static long[] Buckets(params (int Bucket, long Count)[] counts)
    {
        var buckets = new long[101];
        foreach (var (bucket, count) in counts)
        {
            buckets[bucket] += count;
        }

        return buckets;
    }

    [Fact]
    public void The_threshold_goes_down_from_one_until_the_class_reaches_its_target()
    {
        var selection = NoisyStudentSelector.Threshold(3, Buckets((99, 40), (97, 50), (90, 30), (50, 1000)), target: 100, floorBucket: 30);
        Assert.Equal(new ClassSelection(3, 90, 120), selection);
    }

    [Fact]
    public void A_class_that_reaches_its_target_in_the_top_bucket_keeps_threshold_one()
    {
        Assert.Equal(new ClassSelection(0, 100, 7), NoisyStudentSelector.Threshold(0, Buckets((100, 7)), target: 5, floorBucket: 30));
    }

    [Fact]
    public void A_class_that_never_reaches_its_target_stops_at_the_floor_with_everything_above_it()
    {
        var selection = NoisyStudentSelector.Threshold(1, Buckets((80, 3), (31, 2), (30, 1), (29, 500)), target: 100, floorBucket: 30);
        Assert.Equal(new ClassSelection(1, 30, 6), selection);
    }

    [Fact]
    public void A_class_with_nothing_at_or_above_the_floor_has_no_selection()
    {
        Assert.Null(NoisyStudentSelector.Threshold(2, Buckets((29, 500), (0, 3)), target: 10, floorBucket: 30));
    }

    [Fact]
    public void Copies_are_exact_when_the_target_is_a_multiple_of_the_candidates()
    {
        Assert.All(Enumerable.Range(1, 100), id => Assert.Equal(3, NoisyStudentSelector.Copies(id, seed: 5, target: 30, candidates: 10)));
    }

    [Theory]
    [InlineData(10_000, 3_333)]
    [InlineData(1_000, 2_500)]
    [InlineData(777, 130_000)]
    public void Copies_are_the_floor_or_one_more_and_their_total_stays_within_the_rounding_bound(long candidates, long target)
    {
        var copies = Enumerable.Range(1, (int)candidates).Select(id => NoisyStudentSelector.Copies(id, seed: 11, target, candidates)).ToList();
        var whole = (int)(target / candidates);
        Assert.All(copies, c => Assert.InRange(c, whole, whole + 1));

        // A sum of Bernoulli draws: its standard deviation is at most sqrt(n) / 2; four of them bound it here.
        var bound = 4 * Math.Sqrt(candidates) / 2;
        Assert.InRange(copies.Sum(), target - bound, target + bound);
    }

    [Fact]
    public void The_same_seed_gives_the_same_copies_and_another_seed_other_ones()
    {
        int[] Draw(long seed) => Enumerable.Range(1, 1000).Select(id => NoisyStudentSelector.Copies(id, seed, target: 500, candidates: 1000)).ToArray();
        Assert.Equal(Draw(1), Draw(1));
        Assert.NotEqual(Draw(1), Draw(2));
    }
}

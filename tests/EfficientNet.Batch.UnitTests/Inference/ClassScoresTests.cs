using EfficientNet.Batch.Worker.Inference;

namespace EfficientNet.Batch.UnitTests.Inference;

public sealed class ClassScoresTests
{
    [Fact]
    public void Softmax_matches_the_definition_and_sums_to_one()
    {
        float[] scores = [1f, 2f, 3f, -1f];
        ClassScores.SoftmaxInPlace(scores);
        var denominator = Math.Exp(1) + Math.Exp(2) + Math.Exp(3) + Math.Exp(-1);
        Assert.Equal(Math.Exp(3) / denominator, scores[2], 6);
        Assert.Equal(1.0, scores.Sum(), 5);
    }

    [Fact]
    public void Softmax_does_not_overflow_on_large_logits()
    {
        float[] scores = [1000f, 999f];
        ClassScores.SoftmaxInPlace(scores);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        Assert.Equal(1 / (1 + Math.Exp(-1)), scores[0], 5);
    }

    [Fact]
    public void TopK_returns_the_largest_in_descending_order_with_their_indices()
    {
        float[] p = [0.1f, 0.4f, 0.05f, 0.3f, 0.15f];
        var (indices, values) = ClassScores.TopK(p, 3);
        Assert.Equal([1, 3, 4], indices);
        Assert.Equal([0.4f, 0.3f, 0.15f], values);
    }

    [Fact]
    public void TopK_keeps_the_lower_index_first_on_ties()
    {
        var (indices, _) = ClassScores.TopK([0.25f, 0.25f, 0.25f, 0.25f], 2);
        Assert.Equal([0, 1], indices);
    }

    [Fact]
    public void TopK_larger_than_the_class_count_returns_every_class()
    {
        var (indices, _) = ClassScores.TopK([0.2f, 0.8f], 5);
        Assert.Equal([1, 0], indices);
    }

    [Fact]
    public void TopK_agrees_with_a_full_sort_on_random_distributions()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            var p = Enumerable.Range(0, 1000).Select(_ => (float)random.NextDouble()).ToArray();
            var expected = p.Select((v, i) => (v, i)).OrderByDescending(x => x.v).ThenBy(x => x.i).Take(10).Select(x => x.i).ToArray();
            Assert.Equal(expected, ClassScores.TopK(p, 10).Indices);
        }
    }
}

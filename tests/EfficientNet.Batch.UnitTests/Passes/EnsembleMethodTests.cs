using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.UnitTests.Passes;

public sealed class EnsembleMethodTests
{
    private static float[] Combine(string method, params float[][] teachers)
    {
        var combined = new float[teachers[0].Length];
        EnsembleMethod.Combine(method, teachers, combined);
        return combined;
    }

    [Fact]
    public void The_mean_averages_each_class_probability()
    {
        var combined = Combine(EnsembleMethod.Mean, [0.5f, 0.3f, 0.2f], [0.1f, 0.6f, 0.3f]);
        Assert.Equal(0.3, combined[0], 6);
        Assert.Equal(0.45, combined[1], 6);
        Assert.Equal(0.25, combined[2], 6);
    }

    [Fact]
    public void The_geometric_mean_is_renormalised_to_sum_to_one()
    {
        // sqrt(0.5*0.1)=0.2236068, sqrt(0.3*0.6)=0.4242641, sqrt(0.2*0.3)=0.2449490; their sum 0.8928199.
        var combined = Combine(EnsembleMethod.Geometric, [0.5f, 0.3f, 0.2f], [0.1f, 0.6f, 0.3f]);
        Assert.Equal(0.2504501, combined[0], 6);
        Assert.Equal(0.4751956, combined[1], 6);
        Assert.Equal(0.2743543, combined[2], 6);
        Assert.Equal(1.0, combined.Sum(), 6);
    }

    [Fact]
    public void A_zero_probability_does_not_make_the_geometric_mean_undefined()
    {
        var combined = Combine(EnsembleMethod.Geometric, [1f, 0f], [0.5f, 0.5f]);
        Assert.All(combined, p => Assert.True(float.IsFinite(p)));
        Assert.Equal(1.0, combined.Sum(), 6);
    }

    [Fact]
    public void Distributions_of_different_lengths_or_an_unknown_method_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Combine(EnsembleMethod.Mean, [0.5f, 0.5f], [1f]));
        Assert.Throws<ArgumentException>(() => Combine("median", [0.5f, 0.5f], [0.5f, 0.5f]));
    }
}

using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.UnitTests.PseudoLabels;

public sealed class SoftLabelsTests
{
    [Fact]
    public void Temperature_one_keeps_a_distribution_as_it_is()
    {
        Assert.Equal([0.6f, 0.3f, 0.1f], SoftLabels.Sharpen([0.6f, 0.3f, 0.1f], 1.0), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Temperature_one_half_squares_and_renormalises()
    {
        // 0.36, 0.09, 0.01 over their sum 0.46.
        Assert.Equal([0.36f / 0.46f, 0.09f / 0.46f, 0.01f / 0.46f], SoftLabels.Sharpen([0.6f, 0.3f, 0.1f], 0.5), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void A_high_temperature_flattens_towards_uniform()
    {
        var flat = SoftLabels.Sharpen([0.9f, 0.09f, 0.01f], 1000);
        Assert.All(flat, p => Assert.InRange(p, 0.33f, 0.34f));
    }

    [Fact]
    public void A_tiny_temperature_neither_overflows_nor_underflows()
    {
        Assert.Equal([1f, 0f], SoftLabels.Sharpen([0.6f, 0.4f], 0.001), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Top_k_is_renormalised_over_its_own_classes()
    {
        // The 0.25 of mass outside the top-2 is dropped: the approximation the docs describe.
        Assert.Equal([2f / 3, 1f / 3], SoftLabels.Sharpen([0.5f, 0.25f], 1.0), new FloatTolerance(1e-6f));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void A_temperature_that_is_not_positive_is_refused(double temperature)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabels.Sharpen([1f], temperature));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}

namespace EfficientNet.Batch.DeployTests.Chart;

internal static class ChartTheoryData
{
    /// <summary>The chart's default values and every example values file.</summary>
    public static TheoryData<string> EveryValuesFile => new(ValuesFile.AllNames);

    public static TheoryData<string> WithKeda => new(ValuesFile.GpuKeda, ValuesFile.ExternalServices);

    public static TheoryData<string> WithoutKeda => new(ValuesFile.DefaultName, ValuesFile.CpuDev);
}

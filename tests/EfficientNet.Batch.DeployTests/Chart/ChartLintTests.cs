namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class ChartLintTests
{
    [Fact]
    public void Helm_lint_strict_passes_with_the_default_values_and_every_example()
    {
        var result = Helm.Lint();

        Assert.True(result.ExitCode == 0, $"scripts/helm.sh lint failed:\n{result.Output}");
        foreach (var example in ValuesFile.AllNames.Where(name => name != ValuesFile.DefaultName))
        {
            Assert.Contains($"-f deploy/helm/examples/{example}.yaml", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_example_values_file_is_covered_by_these_tests()
    {
        var examples = Directory.GetFiles(ValuesFile.ExamplesDirectory, "*.yaml").Select(Path.GetFileNameWithoutExtension);

        Assert.Equal(ValuesFile.AllNames.Where(name => name != ValuesFile.DefaultName).Order(), examples.Order());
    }

    [Fact]
    public void The_chart_refuses_a_grace_period_that_a_shard_could_outlast()
    {
        var result = Helm.TryTemplate(ValuesFile.Default, "--set", "worker.maxShardSeconds=600", "--set", "worker.terminationGracePeriodSeconds=600");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("worker.terminationGracePeriodSeconds", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_values_schema_rejects_an_unknown_execution_provider()
    {
        var result = Helm.TryTemplate(ValuesFile.Default, "--set", "worker.config.Inference.ExecutionProvider=Gpu");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("ExecutionProvider", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_values_schema_rejects_a_misspelt_key()
    {
        var result = Helm.TryTemplate(ValuesFile.Default, "--set", "worker.terminationGracePeriod=900");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("terminationGracePeriod", result.Output, StringComparison.Ordinal);
    }
}

using System.Text.Json;

namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class ConfigurationTests
{
    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void The_worker_appsettings_have_every_section_the_worker_binds(string values)
    {
        using var settings = WorkerSettings(values);
        var root = settings.RootElement;

        foreach (var section in new[] { "Inference", "Pipeline", "Preprocessing", "Worker", "Logging" })
        {
            Assert.True(root.TryGetProperty(section, out _), $"appsettings.json has no {section} section");
        }

        Assert.Contains(root.GetProperty("Inference").GetProperty("ExecutionProvider").GetString(), new[] { "Auto", "Cpu", "Cuda" });
        Assert.Contains(root.GetProperty("Preprocessing").GetProperty("Mode").GetString(), new[] { "Exact", "Fast" });
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void The_model_cache_directory_is_the_writable_mount(string values)
    {
        using var settings = WorkerSettings(values);
        var worker = Helm.Template(ValuesFile.Named(values)).WorkerDeployment;
        var directory = settings.RootElement.GetProperty("Worker").GetProperty("ModelCacheDirectory").GetString();

        Assert.Contains(worker.Container["volumeMounts"].Items, m => m["mountPath"].Text == directory && m["name"].Text == "model-cache");
    }

    [Theory]
    [InlineData(ValuesFile.GpuKeda, "Cuda")]
    [InlineData(ValuesFile.ExternalServices, "Cuda")]
    [InlineData(ValuesFile.CpuDev, "Cpu")]
    public void Each_example_names_the_execution_provider_its_nodes_have(string values, string provider)
    {
        using var settings = WorkerSettings(values);

        Assert.Equal(provider, settings.RootElement.GetProperty("Inference").GetProperty("ExecutionProvider").GetString());
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void A_configuration_change_rolls_the_pods(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        Assert.True(chart.WorkerDeployment.PodTemplate.Path("metadata", "annotations", "checksum/config").Exists);
        Assert.True(chart.SchedulerDeployment.PodTemplate.Path("metadata", "annotations", "checksum/config").Exists);
    }

    private static JsonDocument WorkerSettings(string values)
    {
        var map = Assert.Single(Helm.Template(ValuesFile.Named(values)).OfKind("ConfigMap"));
        return JsonDocument.Parse(map.Root.Path("data", "worker.appsettings.json").Text!);
    }
}

namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class WorkerSchedulingTests
{
    private const string GpuResource = "nvidia.com/gpu";

    [Fact]
    public void The_gpu_example_gives_each_worker_one_gpu_and_places_it_on_gpu_nodes()
    {
        var worker = Helm.Template(ValuesFile.Named(ValuesFile.GpuKeda)).WorkerDeployment;

        Assert.Equal("1", worker.Container.Path("resources", "limits", GpuResource).Text);
        Assert.Contains(worker.PodSpec["tolerations"].Items, t => t["key"].Text == GpuResource && t["operator"].Text == "Exists");
        Assert.NotEmpty(worker.PodSpec["nodeSelector"].Entries);
    }

    [Theory]
    [InlineData(ValuesFile.DefaultName)]
    [InlineData(ValuesFile.ExternalServices)]
    public void Gpu_workers_are_the_default(string values)
    {
        var worker = Helm.Template(ValuesFile.Named(values)).WorkerDeployment;

        Assert.Equal("1", worker.Container.Path("resources", "limits", GpuResource).Text);
    }

    [Fact]
    public void The_cpu_dev_example_requests_no_gpu_and_hides_the_node_gpus()
    {
        var worker = Helm.Template(ValuesFile.Named(ValuesFile.CpuDev)).WorkerDeployment;
        var resources = worker.Container["resources"];

        Assert.False(resources.Path("limits", GpuResource).Exists, "cpu-dev must not request a GPU");
        Assert.False(resources.Path("requests", GpuResource).Exists, "cpu-dev must not request a GPU");
        Assert.DoesNotContain(worker.PodSpec["tolerations"].Items, t => t["key"].Text == GpuResource);
        Assert.Contains(worker.Container["env"].Items, e => e["name"].Text == "NVIDIA_VISIBLE_DEVICES" && e["value"].Text == "void");
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Workers_have_cpu_and_memory_requests_and_a_memory_limit(string values)
    {
        var resources = Helm.Template(ValuesFile.Named(values)).WorkerDeployment.Container["resources"];

        Assert.True(resources.Path("requests", "cpu").Exists);
        Assert.True(resources.Path("requests", "memory").Exists);
        Assert.True(resources.Path("limits", "memory").Exists);
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void A_pod_disruption_budget_covers_the_workers(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));
        var budget = chart.Single("PodDisruptionBudget", "worker");

        Assert.Equal(
            chart.WorkerDeployment.Root.Path("spec", "selector", "matchLabels").Entries.ToDictionary(e => e.Key, e => e.Value.Text),
            budget.Root.Path("spec", "selector", "matchLabels").Entries.ToDictionary(e => e.Key, e => e.Value.Text));
        Assert.True(budget.Root.Path("spec", "maxUnavailable").Exists || budget.Root.Path("spec", "minAvailable").Exists);
    }
}

using System.Text.Json;

namespace EfficientNet.Batch.DeployTests.Chart;

/// <summary>
/// worker.gpu.count: the pod's GPU limit and the devices the worker opens sessions on (Inference:DeviceIds, one ONNX
/// Runtime session per GPU) must agree, or a pod would hold GPUs it never uses.
/// </summary>
public sealed class GpuCountTests
{
    private const string GpuResource = "nvidia.com/gpu";

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void A_worker_with_several_gpus_opens_one_session_on_each(int count)
    {
        var chart = Helm.Template(ValuesFile.Default, "--set", $"worker.gpu.count={count}");
        using var settings = WorkerSettings(chart);

        Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), chart.WorkerDeployment.Container.Path("resources", "limits", GpuResource).Text);
        Assert.Equal(Enumerable.Range(0, count), DeviceIds(settings));
    }

    [Fact]
    public void A_worker_with_one_gpu_uses_device_0_alone()
    {
        var chart = Helm.Template(ValuesFile.Default, "--set", "worker.gpu.count=1");
        using var settings = WorkerSettings(chart);
        var inference = settings.RootElement.GetProperty("Inference");

        Assert.Equal("1", chart.WorkerDeployment.Container.Path("resources", "limits", GpuResource).Text);
        Assert.False(inference.TryGetProperty("DeviceIds", out _), $"one GPU needs no DeviceIds: {inference}");
        Assert.Equal(0, inference.GetProperty("DeviceId").GetInt32());
    }

    [Fact]
    public void Gpu_count_0_is_refused_naming_the_key()
    {
        var result = Helm.TryTemplate(ValuesFile.Default, "--set", "worker.gpu.count=0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("/worker/gpu/count", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_workers_get_no_device_ids_whatever_the_count()
    {
        var chart = Helm.Template(ValuesFile.Default, "--set", "worker.gpu.enabled=false", "--set", "worker.gpu.count=3");
        using var settings = WorkerSettings(chart);

        Assert.False(chart.WorkerDeployment.Container.Path("resources", "limits", GpuResource).Exists);
        Assert.False(settings.RootElement.GetProperty("Inference").TryGetProperty("DeviceIds", out _));
    }

    [Fact]
    public void Device_ids_set_in_the_worker_config_win()
    {
        var chart = Helm.Template(ValuesFile.Default, "--set", "worker.gpu.count=2", "--set", "worker.config.Inference.DeviceIds={1,0}");
        using var settings = WorkerSettings(chart);

        Assert.Equal([1, 0], DeviceIds(settings));
    }

    [Fact]
    public void The_config_checksum_changes_with_the_gpu_count()
    {
        string Checksum(int count) =>
            Helm.Template(ValuesFile.Default, "--set", $"worker.gpu.count={count}")
                .WorkerDeployment.PodTemplate.Path("metadata", "annotations", "checksum/config").Text!;

        Assert.NotEqual(Checksum(1), Checksum(2));
    }

    private static int[] DeviceIds(JsonDocument settings) =>
        [.. settings.RootElement.GetProperty("Inference").GetProperty("DeviceIds").EnumerateArray().Select(e => e.GetInt32())];

    private static JsonDocument WorkerSettings(RenderedChart chart)
    {
        var map = Assert.Single(chart.OfKind("ConfigMap"));
        return JsonDocument.Parse(map.Root.Path("data", "worker.appsettings.json").Text!);
    }
}

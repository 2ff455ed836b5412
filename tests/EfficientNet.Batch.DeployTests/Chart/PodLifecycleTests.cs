namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class PodLifecycleTests
{
    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Probes_ask_the_health_endpoints_on_port_8080(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        foreach (var deployment in new[] { chart.WorkerDeployment, chart.SchedulerDeployment })
        {
            var container = deployment.Container;
            AssertProbe(container, "livenessProbe", "/health/live");
            AssertProbe(container, "readinessProbe", "/health/ready");
            AssertProbe(container, "startupProbe", "/health/live");
        }
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void The_worker_grace_period_outlasts_its_longest_shard(string values)
    {
        var file = ValuesFile.Named(values);
        var worker = Helm.Template(file).WorkerDeployment;
        var maxShardSeconds = int.Parse(file.Value("worker", "maxShardSeconds")!, System.Globalization.CultureInfo.InvariantCulture);
        var grace = worker.PodSpec["terminationGracePeriodSeconds"].Int;
        var hostShutdown = Env(worker.Container, "shutdownTimeoutSeconds").Int;

        Assert.True(grace > maxShardSeconds, $"terminationGracePeriodSeconds {grace} <= maxShardSeconds {maxShardSeconds}");
        Assert.InRange(hostShutdown, maxShardSeconds + 1, grace - 1);
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void A_prestop_sleep_lets_endpoints_drain_before_sigterm(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        foreach (var deployment in new[] { chart.WorkerDeployment, chart.SchedulerDeployment })
        {
            var command = deployment.Container.Path("lifecycle", "preStop", "exec", "command").Items.Select(n => n.Text).ToList();
            Assert.Equal("sleep", command.FirstOrDefault());
            Assert.True(int.Parse(command[1]!, System.Globalization.CultureInfo.InvariantCulture) > 0, $"{deployment}: preStop sleeps 0 s");
        }
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void The_scheduler_serves_on_8080_and_the_hook_job_migrates(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        Assert.Equal(["serve", "--urls", "http://0.0.0.0:8080"], chart.SchedulerDeployment.Container["args"].Items.Select(n => n.Text));
        Assert.Equal(["migrate"], chart.MigrationJob.Container["args"].Items.Select(n => n.Text));
        Assert.Equal(chart.SchedulerDeployment.Container["image"].Text, chart.MigrationJob.Container["image"].Text);
    }

    private static void AssertProbe(Node container, string probe, string path)
    {
        var httpGet = container.Path(probe, "httpGet");
        Assert.True(httpGet.Exists, $"{container["name"]}: no {probe}");
        Assert.Equal(path, httpGet["path"].Text);
        Assert.Equal(8080, ResolvePort(container, httpGet["port"].Text!));
    }

    // A probe names its port (http) or gives its number; a name resolves through the container's ports.
    private static int ResolvePort(Node container, string port) =>
        int.TryParse(port, out var number)
            ? number
            : Assert.Single(container["ports"].Items, p => p["name"].Text == port)["containerPort"].Int;

    internal static Node Env(Node container, string name) =>
        Assert.Single(container["env"].Items, e => e["name"].Text == name)["value"];
}

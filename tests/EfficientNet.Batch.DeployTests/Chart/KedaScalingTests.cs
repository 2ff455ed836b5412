namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class KedaScalingTests
{
    [Theory]
    [MemberData(nameof(ChartTheoryData.WithoutKeda), MemberType = typeof(ChartTheoryData))]
    public void Without_keda_no_scaler_is_rendered_and_the_replica_count_is_fixed(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        Assert.Empty(chart.OfKind("ScaledObject"));
        Assert.Empty(chart.OfKind("TriggerAuthentication"));
        Assert.True(chart.WorkerDeployment.Root.Path("spec", "replicas").Exists);
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.WithKeda), MemberType = typeof(ChartTheoryData))]
    public void With_keda_the_worker_deployment_scales_on_the_process_shard_queue(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));
        var scaled = Assert.Single(chart.OfKind("ScaledObject"));
        var target = scaled.Root.Path("spec", "scaleTargetRef");
        var trigger = Assert.Single(scaled.Root.Path("spec", "triggers").Items);
        var metadata = trigger["metadata"];

        Assert.Equal("Deployment", target["kind"].Text ?? "Deployment");
        Assert.Equal(chart.WorkerDeployment.Name, target["name"].Text);
        Assert.Equal("rabbitmq", trigger["type"].Text);
        Assert.Equal("QueueLength", metadata["mode"].Text);
        Assert.Equal("http", metadata["protocol"].Text); // only the management API counts unacked messages
        Assert.Equal("process-shard", metadata["queueName"].Text);
        Assert.Equal("/", metadata["vhostName"].Text);
        Assert.True(metadata["value"].Int >= 1);
        Assert.False(metadata["host"].Exists, "the management URL carries credentials: it belongs in the TriggerAuthentication");
        Assert.False(chart.WorkerDeployment.Root.Path("spec", "replicas").Exists, "KEDA owns the worker replica count");
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.WithKeda), MemberType = typeof(ChartTheoryData))]
    public void The_trigger_authenticates_with_the_management_url_from_the_secret(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));
        var scaled = Assert.Single(chart.OfKind("ScaledObject"));
        var authentication = Assert.Single(chart.OfKind("TriggerAuthentication"));
        var reference = Assert.Single(authentication.Root.Path("spec", "secretTargetRef").Items);
        var workerSecret = Assert.Single(chart.WorkerDeployment.Container["env"].Items, e => e["name"].Text == "ConnectionStrings__RabbitMq")
            .Path("valueFrom", "secretKeyRef", "name").Text;

        Assert.Equal(authentication.Name, Assert.Single(scaled.Root.Path("spec", "triggers").Items).Path("authenticationRef", "name").Text);
        Assert.Equal("host", reference["parameter"].Text);
        Assert.Equal(workerSecret, reference["name"].Text);
        Assert.Equal(ValuesFile.Named(values).Value("secrets", "keys", "rabbitMqManagement"), reference["key"].Text);
    }

    [Theory]
    [InlineData(ValuesFile.GpuKeda, 0, 16)]
    [InlineData(ValuesFile.ExternalServices, 1, 8)]
    public void The_replica_bounds_follow_the_values_and_scale_to_zero_sets_the_minimum_to_zero(string values, int min, int max)
    {
        var spec = Assert.Single(Helm.Template(ValuesFile.Named(values)).OfKind("ScaledObject")).Root["spec"];

        Assert.Equal(min, spec["minReplicaCount"].Int);
        Assert.Equal(max, spec["maxReplicaCount"].Int);
    }

    [Fact]
    public void The_chart_refuses_a_minimum_above_the_maximum()
    {
        var result = Helm.TryTemplate(ValuesFile.Named(ValuesFile.ExternalServices), "--set", "keda.minReplicas=9");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("keda.minReplicas", result.Output, StringComparison.Ordinal);
    }
}

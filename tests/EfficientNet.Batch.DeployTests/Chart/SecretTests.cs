namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class SecretTests
{
    private static readonly string[] ConnectionStrings =
        ["ConnectionStrings__Postgres", "ConnectionStrings__RabbitMq", "ConnectionStrings__Blob"];

    [Fact]
    public void With_an_existing_secret_no_secret_is_rendered_and_every_reference_names_it()
    {
        var chart = Helm.Template(ValuesFile.Named(ValuesFile.ExternalServices));

        Assert.Empty(chart.OfKind("Secret"));
        var references = SecretReferences(chart).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Equal("enb-connections", r.Name));
        Assert.Equal("enb-connections", Assert.Single(Assert.Single(chart.OfKind("TriggerAuthentication")).Root.Path("spec", "secretTargetRef").Items)["name"].Text);
    }

    [Theory]
    [InlineData(ValuesFile.DefaultName)]
    [InlineData(ValuesFile.CpuDev)]
    [InlineData(ValuesFile.GpuKeda)]
    public void Without_an_existing_secret_the_rendered_secrets_hold_every_key_the_pods_read(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));
        var secrets = chart.OfKind("Secret").ToDictionary(s => s.Name, StringComparer.Ordinal);

        foreach (var (name, key) in SecretReferences(chart))
        {
            Assert.True(secrets.TryGetValue(name, out var secret), $"no rendered Secret {name}");
            Assert.True(secret.Root.Path("data", key).Exists, $"Secret {name} has no key {key}");
        }
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Connection_strings_and_the_api_key_reach_the_pods_only_from_secrets(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        AssertFromSecret(chart.WorkerDeployment, ConnectionStrings);
        AssertFromSecret(chart.SchedulerDeployment, [.. ConnectionStrings, "Dashboard__ApiKey"]);
        AssertFromSecret(chart.MigrationJob, ["ConnectionStrings__Postgres"]);
    }

    [Fact]
    public void A_changed_chart_secret_rolls_the_pods_but_an_existing_secret_is_not_read_at_render_time()
    {
        var rendered = Helm.Template(ValuesFile.Default).WorkerDeployment;
        var existing = Helm.Template(ValuesFile.Named(ValuesFile.ExternalServices)).WorkerDeployment;

        Assert.True(rendered.PodTemplate.Path("metadata", "annotations", "checksum/secret").Exists);
        Assert.False(existing.PodTemplate.Path("metadata", "annotations", "checksum/secret").Exists);
    }

    private static void AssertFromSecret(Manifest workload, IEnumerable<string> names)
    {
        var env = workload.Container["env"].Items;
        foreach (var name in names)
        {
            var variable = Assert.Single(env, e => e["name"].Text == name);
            Assert.False(variable["value"].Exists, $"{workload}: {name} is a literal");
            Assert.True(variable.Path("valueFrom", "secretKeyRef", "name").Exists, $"{workload}: {name} is not from a Secret");
        }
    }

    private static IEnumerable<(string Name, string Key)> SecretReferences(RenderedChart chart) =>
        from workload in chart.Workloads
        from container in workload.Containers
        from variable in container["env"].Items
        let reference = variable.Path("valueFrom", "secretKeyRef")
        where reference.Exists
        select (reference["name"].Text!, reference["key"].Text!);
}

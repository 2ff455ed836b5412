namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class MigrationJobTests
{
    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Migrations_run_as_a_hook_before_install_and_upgrade(string values)
    {
        var job = Helm.Template(ValuesFile.Named(values)).MigrationJob;

        Assert.Equal("pre-install,pre-upgrade", job.Annotations["helm.sh/hook"].Text);
        Assert.Contains("before-hook-creation", job.Annotations["helm.sh/hook-delete-policy"].Text, StringComparison.Ordinal);
        Assert.Equal("Never", job.PodSpec["restartPolicy"].Text);
        Assert.True(job.Root.Path("spec", "activeDeadlineSeconds").Exists, "a stuck migration would block helm forever");
    }

    [Theory]
    [InlineData(ValuesFile.DefaultName)]
    [InlineData(ValuesFile.CpuDev)]
    [InlineData(ValuesFile.GpuKeda)]
    public void The_job_reads_a_hook_secret_created_before_it(string values)
    {
        // On a first install hooks run before the release's own objects exist, the chart's Secret included.
        var chart = Helm.Template(ValuesFile.Named(values));
        var reference = PostgresReference(chart.MigrationJob);
        var secret = Assert.Single(chart.OfKind("Secret"), s => s.Name == reference["name"].Text);

        Assert.Contains("pre-install", secret.Annotations["helm.sh/hook"].Text, StringComparison.Ordinal);
        Assert.True(
            secret.Annotations["helm.sh/hook-weight"].Int < chart.MigrationJob.Annotations["helm.sh/hook-weight"].Int,
            "the hook Secret must be created before the Job");
        Assert.True(secret.Root.Path("data", reference["key"].Text!).Exists);
    }

    [Fact]
    public void With_an_existing_secret_the_job_reads_it()
    {
        var chart = Helm.Template(ValuesFile.Named(ValuesFile.ExternalServices));

        Assert.Equal("enb-connections", PostgresReference(chart.MigrationJob)["name"].Text);
    }

    [Fact]
    public void Migrations_can_be_left_to_the_operator()
    {
        var chart = Helm.Template(ValuesFile.Default, "--set", "migrations.enabled=false");

        Assert.Empty(chart.OfKind("Job"));
    }

    private static Node PostgresReference(Manifest job) =>
        Assert.Single(job.Container["env"].Items, e => e["name"].Text == "ConnectionStrings__Postgres").Path("valueFrom", "secretKeyRef");
}

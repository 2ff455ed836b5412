namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class SecurityContextTests
{
    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Every_container_runs_as_non_root_on_a_read_only_root_with_no_capabilities(string values)
    {
        var workloads = Helm.Template(ValuesFile.Named(values)).Workloads.ToList();
        Assert.Equal(3, workloads.Count); // worker, scheduler, migration Job

        foreach (var workload in workloads)
        {
            var pod = workload.PodSpec["securityContext"];
            Assert.Equal("RuntimeDefault", pod.Path("seccompProfile", "type").Text);
            foreach (var container in workload.Containers)
            {
                var security = container["securityContext"];
                var what = $"{workload} container {container["name"]}";
                Assert.True((security["runAsNonRoot"].Text ?? pod["runAsNonRoot"].Text) == "true", $"{what}: runAsNonRoot");
                Assert.True(security["readOnlyRootFilesystem"].Text == "true", $"{what}: readOnlyRootFilesystem");
                Assert.True(security["allowPrivilegeEscalation"].Text == "false", $"{what}: allowPrivilegeEscalation");
                Assert.Contains("ALL", security.Path("capabilities", "drop").Items.Select(n => n.Text));
            }
        }
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Pods_run_as_the_non_root_users_the_images_define(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));

        Assert.Equal("10001", chart.WorkerDeployment.PodSpec.Path("securityContext", "runAsUser").Text);
        Assert.Equal("1654", chart.SchedulerDeployment.PodSpec.Path("securityContext", "runAsUser").Text);
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void The_paths_the_worker_writes_are_empty_dirs_and_its_config_is_mounted(string values)
    {
        var worker = Helm.Template(ValuesFile.Named(values)).WorkerDeployment;
        var volumes = worker.PodSpec["volumes"].Items.ToDictionary(v => v["name"].Text!, StringComparer.Ordinal);
        var mounts = worker.Container["volumeMounts"].Items.ToDictionary(m => m["mountPath"].Text!, m => m["name"].Text!, StringComparer.Ordinal);

        Assert.True(volumes[mounts["/tmp"]]["emptyDir"].Exists, "/tmp is not an emptyDir");
        Assert.True(volumes[mounts["/cache/models"]]["emptyDir"].Exists, "/cache/models is not an emptyDir");
        Assert.True(volumes[mounts["/app/config"]]["configMap"].Exists, "/app/config is not a ConfigMap");
        Assert.Equal("/app/config/appsettings.json", PodLifecycleTests.Env(worker.Container, "ENB_CONFIG_FILE").Text);
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void No_pod_mounts_a_service_account_token(string values)
    {
        foreach (var workload in Helm.Template(ValuesFile.Named(values)).Workloads)
        {
            Assert.Equal("false", workload.PodSpec["automountServiceAccountToken"].Text);
        }
    }
}

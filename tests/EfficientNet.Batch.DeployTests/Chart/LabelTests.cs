namespace EfficientNet.Batch.DeployTests.Chart;

public sealed class LabelTests
{
    private static readonly string[] Recommended =
    [
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/version",
        "app.kubernetes.io/component",
        "app.kubernetes.io/managed-by",
    ];

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Every_object_and_pod_carries_the_recommended_labels(string values)
    {
        var chart = Helm.Template(ValuesFile.Named(values));
        Assert.NotEmpty(chart.Manifests);

        foreach (var manifest in chart.Manifests)
        {
            AssertLabels(manifest.ToString(), manifest.Labels);
            if (manifest.PodTemplate.Exists)
            {
                AssertLabels($"{manifest} pod template", manifest.PodTemplate.Path("metadata", "labels").Entries);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ChartTheoryData.EveryValuesFile), MemberType = typeof(ChartTheoryData))]
    public void Selectors_use_only_labels_that_never_change_between_releases(string values)
    {
        // Deployment selectors are immutable: a version in them would make every upgrade fail.
        foreach (var manifest in Helm.Template(ValuesFile.Named(values)).Manifests.Where(m => m.Kind is "Deployment" or "PodDisruptionBudget"))
        {
            var selector = manifest.Root.Path("spec", "selector", "matchLabels").Entries.Keys.Order();
            Assert.Equal(["app.kubernetes.io/component", "app.kubernetes.io/instance", "app.kubernetes.io/name"], selector);
        }
    }

    [Theory]
    [InlineData(ValuesFile.GpuKeda, true)]
    [InlineData(ValuesFile.DefaultName, false)]
    public void A_service_monitor_scrapes_metrics_only_when_enabled(string values, bool expected)
    {
        var chart = Helm.Template(ValuesFile.Named(values));
        var monitors = chart.OfKind("ServiceMonitor").ToList();

        Assert.Equal(expected, monitors.Count == 1);
        if (expected)
        {
            var endpoint = Assert.Single(monitors[0].Root.Path("spec", "endpoints").Items);
            Assert.Equal("/metrics", endpoint["path"].Text);
            Assert.All(chart.OfKind("Service"), s => Assert.Contains(s.Root.Path("spec", "ports").Items, p => p["name"].Text == endpoint["port"].Text));
        }
    }

    private static void AssertLabels(string what, IReadOnlyDictionary<string, Node> labels)
    {
        foreach (var label in Recommended)
        {
            Assert.True(labels.TryGetValue(label, out var value) && !string.IsNullOrEmpty(value.Text), $"{what} has no {label} label");
        }

        Assert.Equal("Helm", labels["app.kubernetes.io/managed-by"].Text);
    }
}

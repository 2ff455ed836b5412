using YamlDotNet.RepresentationModel;

namespace EfficientNet.Batch.DeployTests.Chart;

/// <summary>A values file the chart is rendered with: the chart's defaults alone, or one of deploy/helm/examples.</summary>
internal sealed record ValuesFile(string Name)
{
    public const string DefaultName = "default";
    public const string CpuDev = "cpu-dev";
    public const string GpuKeda = "gpu-keda";
    public const string ExternalServices = "external-services";

    public static readonly string ChartDirectory = RepositoryRoot.Combine("deploy", "helm", "efficientnet-batch");
    public static readonly string ExamplesDirectory = RepositoryRoot.Combine("deploy", "helm", "examples");

    public static ValuesFile Default { get; } = new(DefaultName);

    public static IReadOnlyList<string> AllNames { get; } = [DefaultName, CpuDev, GpuKeda, ExternalServices];

    public static ValuesFile Named(string name) => new(name);

    /// <summary>What scripts/helm.sh template takes: `default` or the example's path.</summary>
    public string ScriptArgument => Name == DefaultName ? DefaultName : System.IO.Path.Combine(ExamplesDirectory, $"{Name}.yaml");

    /// <summary>A value as helm sees it: the example's if it sets the key, else values.yaml's.</summary>
    public string? Value(params string[] path)
    {
        if (Name != DefaultName && Lookup(ScriptArgument, path) is { } overridden)
        {
            return overridden;
        }

        return Lookup(System.IO.Path.Combine(ChartDirectory, "values.yaml"), path);
    }

    public override string ToString() => Name;

    private static string? Lookup(string file, string[] path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        YamlNode node = stream.Documents[0].RootNode;
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            node = child;
        }

        return (node as YamlScalarNode)?.Value;
    }
}

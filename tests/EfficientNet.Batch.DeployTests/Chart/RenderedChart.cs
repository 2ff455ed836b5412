using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace EfficientNet.Batch.DeployTests.Chart;

/// <summary>The objects of one `helm template` run, parsed from its multi-document YAML.</summary>
internal sealed class RenderedChart(IReadOnlyList<Manifest> manifests)
{
    public IReadOnlyList<Manifest> Manifests { get; } = manifests;

    public Manifest WorkerDeployment => Single("Deployment", "worker");

    public Manifest SchedulerDeployment => Single("Deployment", "scheduler");

    public Manifest MigrationJob => Single("Job", "migrations");

    public IEnumerable<Manifest> OfKind(string kind) => Manifests.Where(m => m.Kind == kind);

    public IEnumerable<Manifest> Workloads => Manifests.Where(m => m.PodTemplate.Exists);

    public Manifest Single(string kind, string component) =>
        Assert.Single(Manifests, m => m.Kind == kind && m.Component == component);

    public static RenderedChart Parse(string yaml)
    {
        // Scalars stay strings (no type guessing): assertions compare the text that Kubernetes would receive.
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var manifests = new List<Manifest>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<object?>(parser) is { } document)
            {
                manifests.Add(new Manifest(new Node(document)));
            }
        }

        return new RenderedChart(manifests);
    }
}

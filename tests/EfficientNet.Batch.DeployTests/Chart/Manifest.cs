namespace EfficientNet.Batch.DeployTests.Chart;

/// <summary>One Kubernetes object from the rendered chart.</summary>
internal sealed class Manifest(Node root)
{
    public Node Root { get; } = root;

    public string Kind => Root["kind"].Text ?? "";

    public string Name => Root.Path("metadata", "name").Text ?? "";

    public IReadOnlyDictionary<string, Node> Labels => Root.Path("metadata", "labels").Entries;

    public IReadOnlyDictionary<string, Node> Annotations => Root.Path("metadata", "annotations").Entries;

    public string? Component => Labels.TryGetValue("app.kubernetes.io/component", out var component) ? component.Text : null;

    /// <summary>The pod template of a Deployment or Job; Missing for other kinds.</summary>
    public Node PodTemplate => Kind is "Deployment" or "Job" ? Root.Path("spec", "template") : Node.Missing;

    public Node PodSpec => PodTemplate["spec"];

    public IReadOnlyList<Node> Containers => PodSpec["containers"].Items;

    public Node Container => Assert.Single(Containers);

    public override string ToString() => $"{Kind}/{Name}";
}

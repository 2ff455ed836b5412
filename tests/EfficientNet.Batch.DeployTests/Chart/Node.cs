using System.Globalization;

namespace EfficientNet.Batch.DeployTests.Chart;

/// <summary>
/// Read-only navigation over a deserialized YAML value (mappings, sequences, string scalars). Indexing a missing key
/// yields <see cref="Missing"/> instead of throwing, so that assertions can name what is absent.
/// </summary>
internal sealed class Node
{
    public static readonly Node Missing = new(null);

    private readonly object? _value;

    public Node(object? value) => _value = value;

    public bool Exists => _value is not null;

    public Node this[string key] =>
        _value is IDictionary<object, object> map && map.TryGetValue(key, out var child) ? new Node(child) : Missing;

    public IReadOnlyList<Node> Items => _value is IList<object> list ? [.. list.Select(item => new Node(item))] : [];

    public IReadOnlyDictionary<string, Node> Entries =>
        _value is IDictionary<object, object> map
            ? map.ToDictionary(entry => (string)entry.Key, entry => new Node(entry.Value), StringComparer.Ordinal)
            : new Dictionary<string, Node>(StringComparer.Ordinal);

    public string? Text => _value as string;

    public int Int => int.Parse(Text ?? throw new InvalidOperationException("not a scalar"), CultureInfo.InvariantCulture);

    public bool Bool => bool.Parse(Text ?? throw new InvalidOperationException("not a scalar"));

    /// <summary>Follows a path of mapping keys, e.g. Path("spec", "template", "spec").</summary>
    public Node Path(params string[] keys) => keys.Aggregate(this, (node, key) => node[key]);

    public override string ToString() => _value switch
    {
        null => "(missing)",
        string text => text,
        IDictionary<object, object> map => $"{{{string.Join(", ", map.Keys)}}}",
        IList<object> list => $"[{list.Count} items]",
        _ => _value.ToString() ?? "",
    };
}

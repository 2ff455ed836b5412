using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// <c>set:&lt;name&gt;</c>: the images of a pseudo-label set, for the next generation's teacher pass. Its location is the
/// source of the set's teacher run, so the keys resolve in the same image store and upsert onto the same image rows
/// (predictions of both generations then refer to the same image ids, which compare relies on).
/// </summary>
public sealed class PseudoLabelSetSource(IPseudoLabelStore store, PseudoLabelSetInfo set, string teacherSource) : IImageSource
{
    public const string Prefix = "set:";

    public string Location { get; } = teacherSource;

    public PseudoLabelSetInfo Set { get; } = set;

    public static bool IsSetSource(string source) => source.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    public static string SetName(string source) => source[Prefix.Length..];

    public IAsyncEnumerable<string> EnumerateKeysAsync(CancellationToken cancellationToken) => store.ReadKeysAsync(Set.Id, cancellationToken);
}

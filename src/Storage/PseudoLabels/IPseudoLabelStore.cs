using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// Pseudo-label sets: selection from a teacher run (in SQL, never loading predictions into memory), the read API for
/// the CLI and a JSON API (list sets; one set's per-class thresholds and counts), streamed export, comparison, and a
/// set's image keys for the next teacher pass (source set:&lt;name&gt;).
/// </summary>
public interface IPseudoLabelStore
{
    /// <summary>
    /// Runs the Noisy-Student selection over the teacher run's predictions and records the set, its classes and its
    /// rows, in one transaction.
    /// </summary>
    /// <exception cref="PseudoLabelSetExistsException">The name is taken.</exception>
    /// <exception cref="ArgumentException">A parameter out of range, or an unknown teacher run or parent set.</exception>
    Task<PseudoLabelSetInfo> SelectAsync(SelectionRequest request, CancellationToken cancellationToken);

    /// <summary>Every set, newest first.</summary>
    Task<IReadOnlyList<PseudoLabelSetInfo>> ListSetsAsync(CancellationToken cancellationToken);

    /// <summary>The set with this name (or numeric id); null when none.</summary>
    Task<PseudoLabelSetInfo?> FindSetAsync(string nameOrId, CancellationToken cancellationToken);

    /// <summary>A set's classes with their thresholds and counts, by class index.</summary>
    Task<IReadOnlyList<PseudoLabelClassInfo>> GetClassesAsync(long setId, CancellationToken cancellationToken);

    /// <summary>A set's rows in image id order, one at a time; with <paramref name="withFullDistribution"/>, the stored full distributions too.</summary>
    IAsyncEnumerable<PseudoLabelRow> ReadLabelsAsync(long setId, bool withFullDistribution, CancellationToken cancellationToken);

    /// <summary>The keys of a set's images, in image id order, streamed (a teacher pass restricted to them).</summary>
    IAsyncEnumerable<string> ReadKeysAsync(long setId, CancellationToken cancellationToken);

    /// <summary>Agreement between two sets on the images they share (in SQL).</summary>
    Task<SetComparison> CompareAsync(long firstSetId, long secondSetId, CancellationToken cancellationToken);

    /// <summary>The same comparison between two runs' top-1 labels (two teachers before any selection), in SQL.</summary>
    Task<SetComparison> CompareRunsAsync(RunInfo first, RunInfo second, CancellationToken cancellationToken);
}

using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// Decides, from embeddings, which teacher-run images a selection leaves out: every image at least
/// <c>similarity</c> close to some image of a reference run (Noisy Student keeps near-copies of the evaluation set
/// out of the unlabeled data), and all but the first image (smallest id) of each near-duplicate group.
/// </summary>
public sealed class EmbeddingExclusions(RunEmbeddings embeddings, int threads)
{
    public async Task<SelectionExclusions> DecideAsync(
        RunInfo teacher, RunInfo? reference, double similarity, double? dedup, string? indexPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        if (reference is null && dedup is null)
        {
            return SelectionExclusions.None;
        }

        var source = await embeddings.RequireAsync(teacher, cancellationToken);
        IReadOnlyCollection<long> near = [];
        if (reference is not null)
        {
            near = await NearReferenceAsync(source, await embeddings.RequireAsync(reference, cancellationToken), similarity, cancellationToken);
        }

        IReadOnlyCollection<long> duplicates = [];
        if (dedup is { } threshold)
        {
            using var index = await embeddings.OpenOrBuildAsync(source, indexPath, cancellationToken);
            var report = await NearDuplicates.FindAsync(
                index, embeddings.Reader.ReadAsync(teacher.Id, cancellationToken), threshold, NearDuplicates.DefaultNeighbours, threads, cancellationToken);
            duplicates = report.Dropped.ToHashSet();
        }

        return new SelectionExclusions(
            reference is null ? null : "run:" + reference.Name, reference is null ? null : similarity, near, dedup, duplicates);
    }

    /// <summary>Teacher images whose nearest reference image is at least <paramref name="similarity"/> close (an index over the reference run, one query per teacher image).</summary>
    private async Task<HashSet<long>> NearReferenceAsync(IndexableRun teacher, IndexableRun reference, double similarity, CancellationToken cancellationToken)
    {
        if (!string.Equals(teacher.Model.Sha256, reference.Model.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new IndexMismatchException(
                $"reference run {reference.Run.Name} was labeled by model {reference.Model.Name}, the teacher run {teacher.Run.Name} by {teacher.Model.Name}: embeddings of different models are not comparable");
        }

        using var index = await embeddings.BuildAsync(
            reference, IndexPrecision.F16, VectorIndex.DefaultConnectivity, VectorIndex.DefaultExpansionAdd, VectorIndex.DefaultExpansionSearch, threads, cancellationToken);
        var near = new HashSet<long>();
        await foreach (var e in embeddings.Reader.ReadAsync(teacher.Run.Id, cancellationToken))
        {
            if (index.Search(e.Vector, 1) is [var nearest, ..] && nearest.Similarity >= similarity)
            {
                near.Add(e.ImageId);
            }
        }

        return near;
    }
}

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>Writes a pseudo-label set's samples to a file, streamed: memory does not grow with the set.</summary>
public interface IPseudoLabelExporter
{
    /// <summary>Writes every sample; returns how many rows were written.</summary>
    Task<long> WriteAsync(IAsyncEnumerable<PseudoLabelSample> samples, Stream output, CancellationToken cancellationToken);
}

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// One image of a set as exported: where it is (the teacher run's source and its key), its hard label and copies,
/// and the teacher's top-k and (when stored) full distribution, from which soft labels are made.
/// </summary>
public sealed record PseudoLabelRow(
    long ImageId,
    string Source,
    string Key,
    int Label,
    float Confidence,
    int Copies,
    int[] TopIndices,
    float[] TopProbabilities,
    float[]? FullProbabilities);

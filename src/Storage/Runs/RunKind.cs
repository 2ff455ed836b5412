namespace EfficientNet.Batch.Storage.Runs;

/// <summary>The kinds of run, as stored in runs.kind.</summary>
public static class RunKind
{
    /// <summary>Label a corpus: top-k labels and embeddings per image.</summary>
    public const string Label = "label";

    /// <summary>A teacher pass whose predictions feed pseudo-label selection.</summary>
    public const string Teacher = "teacher";

    public static bool IsKnown(string kind) => kind is Label or Teacher;
}

using Cloud.Unum.USearch;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>How the index stores each vector: float32 (exact), float16 (half the memory) or int8 (a quarter, coarser).</summary>
public enum IndexPrecision
{
    F32,
    F16,
    I8,
}

public static class IndexPrecisions
{
    public static ScalarKind ScalarKind(this IndexPrecision precision) => precision switch
    {
        IndexPrecision.F32 => Cloud.Unum.USearch.ScalarKind.Float32,
        IndexPrecision.F16 => Cloud.Unum.USearch.ScalarKind.Float16,
        _ => Cloud.Unum.USearch.ScalarKind.Int8,
    };

    public static IndexPrecision Parse(string text) => text.ToLowerInvariant() switch
    {
        "f32" => IndexPrecision.F32,
        "f16" => IndexPrecision.F16,
        "i8" => IndexPrecision.I8,
        _ => throw new ArgumentException($"--precision must be f32, f16 or i8, got '{text}'"),
    };

    public static string Text(this IndexPrecision precision) => precision.ToString().ToLowerInvariant();
}

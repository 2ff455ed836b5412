namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// The element type of exported embeddings. Both are exact renderings of the stored float16 values
/// (<see cref="Storage.Database.Conversions.Float16Blob"/>): float32 for tools that expect it, float16 at half the size.
/// </summary>
public enum EmbeddingPrecision
{
    /// <summary>IEEE 754 binary32 (float32, <c>--embedding-precision float32</c>).</summary>
    Binary32,

    /// <summary>IEEE 754 binary16 (float16, <c>--embedding-precision float16</c>).</summary>
    Binary16,
}

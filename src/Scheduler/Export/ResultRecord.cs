namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// One row of the Parquet export, written by Parquet.Net's serializer (hence mutable, with a parameterless
/// constructor): the image, its status, its top-k labels (probabilities descending; empty lists for a failure) and
/// its failure (null for a success).
/// </summary>
public class ResultRecord
{
    public string Key { get; set; } = "";
    public string Uri { get; set; } = "";
    public string Status { get; set; } = "";
    public int[] TopIndices { get; set; } = [];
    public string[] TopLabels { get; set; } = [];
    public float[] TopProbabilities { get; set; } = [];
    public string? FailureStage { get; set; }
    public string? FailureReason { get; set; }
}

/// <summary>A <see cref="ResultRecord"/> with its embedding as float32 values (<c>--embeddings</c>): the run's dimension on every row, null for a failure.</summary>
public sealed class ResultRecordWithEmbedding : ResultRecord
{
    public float[]? Embedding { get; set; }
}

/// <summary>
/// A <see cref="ResultRecord"/> with its embedding as float16 (<c>--embedding-precision float16</c>): 2 bytes per
/// dimension, IEEE binary16 little-endian, in one binary value per row (NumPy: <c>np.frombuffer(value, '&lt;f2')</c>).
/// Binary because Parquet.Net 6.1 cannot write Half values or Parquet's FLOAT16 logical type (it throws
/// NotSupportedException "type System.Half is not supported").
/// </summary>
public sealed class ResultRecordWithFloat16Embedding : ResultRecord
{
    public byte[]? EmbeddingFloat16 { get; set; }
}

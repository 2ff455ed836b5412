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

/// <summary>A <see cref="ResultRecord"/> with its embedding (<c>--embeddings</c>): every row the run's dimension, null for a failure.</summary>
/// <typeparam name="T">float (float32) or Half (float16).</typeparam>
public sealed class ResultRecord<T> : ResultRecord
    where T : struct
{
    public T[]? Embedding { get; set; }
}

using System.Data.Common;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// What differs between SQLite and PostgreSQL for <see cref="PseudoLabelStore"/>: how a prediction's top-1 label and
/// confidence are read in SQL (a BLOB on SQLite, an array on PostgreSQL), how ids and arrays are bound and read.
/// Everything else, the selection included, is one SQL text for both.
/// </summary>
public abstract class PseudoLabelDialect
{
    /// <summary>The top-1 class index of the prediction aliased <c>p</c>.</summary>
    public string TopLabel => TopLabelOf("p");

    /// <summary>The top-1 class index of the prediction with this alias.</summary>
    public abstract string TopLabelOf(string alias);

    /// <summary>The top-1 probability of <c>p</c>, as float32 widened to double precision.</summary>
    public abstract string TopConfidence { get; }

    /// <summary>floor(confidence * 100) of <c>p</c> in double precision: <see cref="ConfidenceBuckets.Of"/> in SQL.</summary>
    public abstract string Bucket { get; }

    /// <summary>A connection ready for the store's SQL (SQLite: with the functions that read BLOB arrays).</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A run id as the runs table stores it.</summary>
    public abstract object RunId(Guid runId);

    public abstract Guid ReadRunId(DbDataReader reader, int ordinal);

    public abstract int[] ReadInts(DbDataReader reader, int ordinal);

    public abstract float[] ReadFloats(DbDataReader reader, int ordinal);

    /// <summary>Whether a failed command means a unique index refused the row.</summary>
    public abstract bool IsUniqueViolation(DbException exception);
}

using System.Data.Common;
using Npgsql;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>PostgreSQL: native int[] / real[] arrays, 1-based; real widened to float8 before scaling (as C# does).</summary>
public sealed class PostgresPseudoLabelDialect(NpgsqlDataSource dataSource) : PseudoLabelDialect
{
    public override string TopLabelOf(string alias) => $"{alias}.top_indices[1]";

    public override string TopConfidence => "p.top_probabilities[1]::float8";

    public override string Bucket => "CAST(trunc(p.top_probabilities[1]::float8 * 100) AS integer)";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    public override object RunId(Guid runId) => runId;

    public override Guid ReadRunId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

    public override int[] ReadInts(DbDataReader reader, int ordinal) => reader.GetFieldValue<int[]>(ordinal);

    public override float[] ReadFloats(DbDataReader reader, int ordinal) => reader.GetFieldValue<float[]>(ordinal);

    public override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}

using System.Buffers.Binary;
using System.Data.Common;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.Data.Sqlite;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// SQLite: arrays are little-endian BLOBs (<see cref="ArrayBlob"/>), which SQL cannot index into, so each connection
/// gets two deterministic functions that read element 0. They run inside SQLite's own scan, row by row: the
/// selection still streams in the database, it does not load predictions into this process.
/// </summary>
public sealed class SqlitePseudoLabelDialect(SqliteDatabase database) : PseudoLabelDialect
{
    public override string TopLabelOf(string alias) => $"enb_first_int32({alias}.top_indices)";

    public override string TopConfidence => "enb_first_float32(p.top_probabilities)";

    // CAST truncates toward zero, which is floor for the non-negative products here.
    public override string Bucket => "CAST(enb_first_float32(p.top_probabilities) * 100 AS INTEGER)";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await database.OpenConnectionAsync(cancellationToken);
        connection.CreateFunction("enb_first_int32", (byte[] blob) => BinaryPrimitives.ReadInt32LittleEndian(blob), isDeterministic: true);

        // Widened to double exactly as C# does it ((double)float), so SQL and ConfidenceBuckets agree bit for bit.
        connection.CreateFunction("enb_first_float32", (byte[] blob) => (double)BinaryPrimitives.ReadSingleLittleEndian(blob), isDeterministic: true);
        return connection;
    }

    public override object RunId(Guid runId) => SqliteValues.Uuid(runId);

    public override Guid ReadRunId(DbDataReader reader, int ordinal) => Guid.Parse(reader.GetString(ordinal));

    public override int[] ReadInts(DbDataReader reader, int ordinal) => ArrayBlob.FromBytes<int>(reader.GetFieldValue<byte[]>(ordinal));

    public override float[] ReadFloats(DbDataReader reader, int ordinal) => ArrayBlob.FromBytes<float>(reader.GetFieldValue<byte[]>(ordinal));

    // SQLITE_CONSTRAINT (19), extended code SQLITE_CONSTRAINT_UNIQUE (2067).
    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: 2067 };
}

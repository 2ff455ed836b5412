using System.Buffers.Binary;
using System.Data.Common;
using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.Data.Sqlite;

namespace EfficientNet.Batch.Storage.Insights;

/// <summary>
/// Run insights from the embedded SQLite file. The top-k arrays are little-endian BLOBs there (ArrayBlob), which
/// SQLite cannot index into: two deterministic functions registered on the connection read their first element, so
/// the grouping still happens inside SQLite.
/// </summary>
public sealed class SqliteRunInsightsReader(SqliteDatabase database) : RunInsightsReader
{
    protected override string TopProbability => "enb_first_float(p.top_probabilities)";

    protected override string TopClass => "enb_first_int(p.top_indices)";

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await database.OpenConnectionAsync(cancellationToken);
        connection.CreateFunction("enb_first_float", (byte[]? blob) => blob is { Length: >= 4 } ? BinaryPrimitives.ReadSingleLittleEndian(blob) : 0.0, isDeterministic: true);
        connection.CreateFunction("enb_first_int", (byte[]? blob) => blob is { Length: >= 4 } ? BinaryPrimitives.ReadInt32LittleEndian(blob) : -1, isDeterministic: true);
        return connection;
    }

    protected override void AddRunParameter(DbCommand command, Guid runId) =>
        ((SqliteCommand)command).Parameters.AddWithValue("@run", SqliteValues.Uuid(runId));

    // EF Core stores timestamps as ISO-8601 text; julianday() parses it with its fraction of a second.
    protected override string EpochSeconds(string column) => $"((julianday({column}) - 2440587.5) * 86400.0)";

    protected override string Truncate(string expression) => $"CAST({expression} AS INTEGER)";
}

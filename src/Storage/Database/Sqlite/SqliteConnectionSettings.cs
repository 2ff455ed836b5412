using System.Data.Common;
using EfficientNet.Batch.Storage.Database.Conversions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EfficientNet.Batch.Storage.Database.Sqlite;

/// <summary>
/// Per-connection settings, applied on every open (pooled connections included), and the SQL functions the
/// migrations call (SQLite cannot convert float BLOBs in SQL: the EmbeddingsFloat16 migration uses these).
/// </summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    public static readonly SqliteConnectionSettings Interceptor = new();

    /// <summary>SQL function: a BLOB of little-endian float32 values to the same values as float16 (<see cref="Float16Blob"/>).</summary>
    public const string Float32ToFloat16 = "enb_float32_to_float16";

    /// <summary>SQL function: the inverse of <see cref="Float32ToFloat16"/> (exact: every float16 is a float32).</summary>
    public const string Float16ToFloat32 = "enb_float16_to_float32";

    // busy_timeout: SQLite's own back-off (1 ms steps growing to 100 ms) instead of Microsoft.Data.Sqlite's fixed
    // 150 ms retry sleep. synchronous = NORMAL is safe with WAL: a process crash loses nothing committed; only an
    // OS crash or power loss can drop the last transactions (https://www.sqlite.org/pragma.html#pragma_synchronous).
    private static readonly string Pragmas =
        $"PRAGMA busy_timeout = {(int)SqliteDatabase.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL;";

    public static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        if (connection is SqliteConnection sqlite)
        {
            sqlite.CreateFunction<byte[]?, byte[]?>(
                Float32ToFloat16, blob => blob is null ? null : Float16Blob.ToBytes(ArrayBlob.FromBytes<float>(blob)), isDeterministic: true);
            sqlite.CreateFunction<byte[]?, byte[]?>(
                Float16ToFloat32, blob => blob is null ? null : ArrayBlob.ToBytes<float>(Float16Blob.ToFloats(blob)), isDeterministic: true);
        }
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
        Apply(connection);

    public override Task ConnectionOpenedAsync(
        DbConnection connection,
        ConnectionEndEventData eventData,
        CancellationToken cancellationToken)
    {
        Apply(connection);
        return Task.CompletedTask;
    }
}

using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EfficientNet.Batch.Storage.Database.Sqlite;

/// <summary>Per-connection settings, applied on every open (pooled connections included).</summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    public static readonly SqliteConnectionSettings Interceptor = new();

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

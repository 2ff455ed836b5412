namespace EfficientNet.Batch.Storage.Database.Sqlite;

/// <summary>How hand-written SQL must bind values so they match what EF Core's SQLite provider stored.</summary>
internal static class SqliteValues
{
    /// <summary>EF Core stores a Guid on SQLite as upper-case text ("D" format); Microsoft.Data.Sqlite would bind a BLOB.</summary>
    public static string Uuid(Guid value) => value.ToString("D").ToUpperInvariant();
}

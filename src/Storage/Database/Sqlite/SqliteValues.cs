using System.Globalization;
using System.Text;

namespace EfficientNet.Batch.Storage.Database.Sqlite;

/// <summary>How hand-written SQL must bind values so they match what EF Core's SQLite provider stored.</summary>
internal static class SqliteValues
{
    /// <summary>EF Core stores a Guid on SQLite as upper-case text ("D" format); Microsoft.Data.Sqlite would bind a BLOB.</summary>
    public static string Uuid(Guid value) => value.ToString("D").ToUpperInvariant();

    /// <summary>Ids as one JSON array parameter, for <c>IN (SELECT value FROM json_each($ids))</c>.</summary>
    public static string JsonArray(long[] values)
    {
        var json = new StringBuilder(values.Length * 8).Append('[');
        for (var i = 0; i < values.Length; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(values[i].ToString(CultureInfo.InvariantCulture));
        }

        return json.Append(']').ToString();
    }
}

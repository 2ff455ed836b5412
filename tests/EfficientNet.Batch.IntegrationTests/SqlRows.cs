using System.Data.Common;

namespace EfficientNet.Batch.IntegrationTests;

/// <summary>Reads every row of a query on a connection the caller opens (SQLite or PostgreSQL), mapped by <c>read</c>.</summary>
public static class SqlRows
{
    public static async Task<List<T>> ReadAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> read)
    {
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}

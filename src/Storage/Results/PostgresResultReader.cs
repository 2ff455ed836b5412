using System.Data;
using System.Runtime.CompilerServices;
using EfficientNet.Batch.Storage.Database.Conversions;
using Npgsql;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Streams a run's results from PostgreSQL, ordered by key: the server sorts, Npgsql hands over one row at a time.
/// Same rows as <see cref="SqliteResultReader"/>: images with a result only, and a prediction wins over a failure.
/// </summary>
public sealed class PostgresResultReader : IResultReader
{
    // COLLATE "C": byte order of the UTF-8 keys, like SQLite's BINARY, whatever the database's locale.
    private const string Query =
        """
        SELECT i.key COLLATE "C" AS key, TRUE AS ok, p.top_indices, p.top_probabilities, NULL AS stage, NULL AS reason, {embedding} AS embedding
        FROM predictions p JOIN images i ON i.id = p.image_id
        WHERE p.run_id = $1
        UNION ALL
        SELECT i.key COLLATE "C", FALSE, NULL, NULL, f.stage, f.reason, NULL
        FROM failures f JOIN images i ON i.id = f.image_id
        WHERE f.run_id = $1
          AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = f.run_id AND p.image_id = f.image_id)
        ORDER BY 1
        """;

    private static readonly string QueryWithEmbeddings = Query.Replace("{embedding}", "p.embedding", StringComparison.Ordinal);
    private static readonly string QueryWithoutEmbeddings = Query.Replace("{embedding}", "NULL::bytea", StringComparison.Ordinal);

    private readonly NpgsqlDataSource _dataSource;

    public PostgresResultReader(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    public async IAsyncEnumerable<ExportRow> ReadAsync(Guid runId, bool withEmbeddings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            withEmbeddings ? QueryWithEmbeddings : QueryWithoutEmbeddings);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(0);
            yield return reader.GetBoolean(1)
                ? new ExportRow(
                    key,
                    Ok: true,
                    reader.GetFieldValue<int[]>(2),
                    reader.GetFieldValue<float[]>(3),
                    FailureStage: null,
                    FailureReason: null,
                    reader.IsDBNull(6) ? null : Float16Blob.ToHalves(reader.GetFieldValue<byte[]>(6)))
                : new ExportRow(key, Ok: false, [], [], reader.GetString(4), reader.GetString(5));
        }
    }
}

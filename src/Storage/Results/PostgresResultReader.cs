using System.Data;
using System.Runtime.CompilerServices;
using EfficientNet.Batch.Storage.Database.Conversions;
using Npgsql;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Streams a run's results from PostgreSQL, ordered by key: the server sorts, Npgsql hands over one row at a time.
/// Same rows as <see cref="SqliteResultReader"/>: images with a result only, and a prediction wins over a failure.
/// Embeddings are not sorted with the rows: <see cref="EmbeddingBatches"/> reads them by primary key, a batch at a time,
/// on a second connection.
/// </summary>
public sealed class PostgresResultReader : IResultReader
{
    // COLLATE "C": byte order of the UTF-8 keys, like SQLite's BINARY, whatever the database's locale.
    private const string Query =
        """
        SELECT i.key COLLATE "C" AS key, TRUE AS ok, p.top_indices, p.top_probabilities, NULL AS stage, NULL AS reason, p.image_id
        FROM predictions p JOIN images i ON i.id = p.image_id
        WHERE p.run_id = $1
        UNION ALL
        SELECT i.key COLLATE "C", FALSE, NULL, NULL, f.stage, f.reason, NULL
        FROM failures f JOIN images i ON i.id = f.image_id
        WHERE f.run_id = $1
          AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = f.run_id AND p.image_id = f.image_id)
        ORDER BY 1
        """;

    private const string EmbeddingsQuery =
        "SELECT image_id, embedding FROM predictions WHERE run_id = $1 AND image_id = ANY($2) AND embedding IS NOT NULL";

    private readonly NpgsqlDataSource _dataSource;

    public PostgresResultReader(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    public IAsyncEnumerable<ExportRow> ReadAsync(Guid runId, bool withEmbeddings, CancellationToken cancellationToken) =>
        EmbeddingBatches.ReadAsync(ReadRowsAsync(runId, cancellationToken), withEmbeddings ? (ids, ct) => ReadEmbeddingsAsync(runId, ids, ct) : null, cancellationToken);

    private async IAsyncEnumerable<(ExportRow Row, long? PredictionImageId)> ReadRowsAsync(
        Guid runId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(Query);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(0);
            yield return reader.GetBoolean(1)
                ? (new ExportRow(
                    key,
                    Ok: true,
                    reader.GetFieldValue<int[]>(2),
                    reader.GetFieldValue<float[]>(3),
                    FailureStage: null,
                    FailureReason: null), reader.GetInt64(6))
                : (new ExportRow(key, Ok: false, [], [], reader.GetString(4), reader.GetString(5)), null);
        }
    }

    private async Task<Dictionary<long, Half[]>> ReadEmbeddingsAsync(Guid runId, long[] imageIds, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(EmbeddingsQuery);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = imageIds });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        var embeddings = new Dictionary<long, Half[]>(imageIds.Length);
        while (await reader.ReadAsync(cancellationToken))
        {
            embeddings[reader.GetInt64(0)] = Float16Blob.ToHalves(reader.GetFieldValue<byte[]>(1));
        }

        return embeddings;
    }
}

using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
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
    /// <summary>The service key of this reader's own <see cref="NpgsqlDataSource"/> (see <see cref="DataSourceFor"/>).</summary>
    public const string DataSourceKey = "export";

    /// <summary>
    /// The read buffer of this reader's connections. An export moves a run's embeddings, 2.5 KB a row at 1280-d, and
    /// Npgsql's default 8 KB buffer takes them in a socket read every three rows; with 1 MB, a 1M-row export made 64k
    /// socket reads instead of 532k (strace). Two connections per export hold one each.
    /// </summary>
    public const int ReadBufferBytes = 1 << 20;

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

    public PostgresResultReader([FromKeyedServices(DataSourceKey)] NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>
    /// This reader's connections: the given settings with a read buffer of at least <see cref="ReadBufferBytes"/>, and
    /// PostgreSQL's JIT compiler off for their sessions. The sort query's plan is costly enough to be compiled with
    /// LLVM in each of its parallel processes, about 1 s of CPU each on 2 cores, which a query that reads and sorts
    /// does not win back: `jit = off` took a 1M-row sort from 5.5 to 4.7 CPU-seconds of the server, 3.3 to 2.8 s.
    /// </summary>
    public static NpgsqlDataSource DataSourceFor(NpgsqlConnectionStringBuilder settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString)
        {
            ReadBufferSize = Math.Max(settings.ReadBufferSize, ReadBufferBytes),
            Options = $"{settings.Options} -c jit=off".TrimStart(),
        };
        return NpgsqlDataSource.Create(builder);
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

    private async Task<Dictionary<long, byte[]>> ReadEmbeddingsAsync(Guid runId, long[] imageIds, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(EmbeddingsQuery);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = imageIds });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        var embeddings = new Dictionary<long, byte[]>(imageIds.Length);
        while (await reader.ReadAsync(cancellationToken))
        {
            embeddings[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }

        return embeddings;
    }
}

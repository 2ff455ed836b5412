using System.Runtime.CompilerServices;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Adds stored embeddings to a key-ordered stream of export rows, a batch of rows at a time: the database sorts only
/// the small rows (key, labels, image id), and the embeddings of each batch are read by primary key in one query.
/// Sorting the rows with their embeddings made the database sort and spill about 2.7 KB per row (SQLite's sorter,
/// PostgreSQL's external merge); this way it sorts tens of bytes per row, and this process holds one batch.
/// Predictions are never updated once written, so an embedding read after its row was listed is the one the row had.
/// </summary>
internal static class EmbeddingBatches
{
    public const int BatchRows = 2048;

    /// <param name="rows">Key-ordered rows without embeddings, each with its image id (for a prediction) or null (a failure).</param>
    /// <param name="readEmbeddings">The stored embeddings of these image ids (a prediction without one is left out); null: the rows alone.</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    public static IAsyncEnumerable<ExportRow> ReadAsync(
        IAsyncEnumerable<(ExportRow Row, long? PredictionImageId)> rows,
        Func<long[], CancellationToken, Task<Dictionary<long, byte[]>>>? readEmbeddings,
        CancellationToken cancellationToken) =>
        readEmbeddings is null ? WithoutAsync(rows, cancellationToken) : JoinAsync(rows, readEmbeddings, cancellationToken);

    private static async IAsyncEnumerable<ExportRow> JoinAsync(
        IAsyncEnumerable<(ExportRow Row, long? PredictionImageId)> rows,
        Func<long[], CancellationToken, Task<Dictionary<long, byte[]>>> readEmbeddings,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<(ExportRow Row, long? PredictionImageId)>(BatchRows);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            batch.Add(row);
            if (batch.Count == BatchRows)
            {
                foreach (var joined in await JoinBatchAsync(batch, readEmbeddings, cancellationToken))
                {
                    yield return joined;
                }

                batch.Clear();
            }
        }

        foreach (var joined in await JoinBatchAsync(batch, readEmbeddings, cancellationToken))
        {
            yield return joined;
        }
    }

    private static async IAsyncEnumerable<ExportRow> WithoutAsync(
        IAsyncEnumerable<(ExportRow Row, long? PredictionImageId)> rows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (row, _) in rows.WithCancellation(cancellationToken))
        {
            yield return row;
        }
    }

    private static async Task<ExportRow[]> JoinBatchAsync(
        List<(ExportRow Row, long? PredictionImageId)> batch,
        Func<long[], CancellationToken, Task<Dictionary<long, byte[]>>> readEmbeddings,
        CancellationToken cancellationToken)
    {
        var ids = batch.Where(r => r.PredictionImageId is not null).Select(r => r.PredictionImageId!.Value).ToArray();
        var embeddings = ids.Length == 0 ? [] : await readEmbeddings(ids, cancellationToken);
        return batch
            .Select(r => r.PredictionImageId is { } id && embeddings.TryGetValue(id, out var embedding) ? r.Row with { Float16Embedding = embedding } : r.Row)
            .ToArray();
    }
}

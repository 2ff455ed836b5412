using System.Runtime.CompilerServices;
using EfficientNet.Batch.Storage.Database;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.Storage.Embeddings;

/// <summary>
/// <see cref="IEmbeddingReader"/> in EF Core LINQ for both providers: untracked, streamed queries that project the
/// embedding through the entity's own mapping (never raw SQL on the column).
/// </summary>
public sealed class EmbeddingReader<TContext>(IDbContextFactory<TContext> contexts) : IEmbeddingReader
    where TContext : BatchDbContext
{
    // An IN list of this many ids stays far below SQLite's and PostgreSQL's parameter limits.
    private const int IdsPerQuery = 500;

    public async Task<long> CountAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Predictions.AsNoTracking().LongCountAsync(p => p.RunId == runId && p.Embedding != null, cancellationToken);
    }

    public async IAsyncEnumerable<StoredEmbedding> ReadAsync(Guid runId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.SetCommandTimeout(TimeSpan.Zero); // a million rows stream for minutes; the token cancels
        var rows = db.Predictions.AsNoTracking()
            .Where(p => p.RunId == runId && p.Embedding != null)
            .Join(db.Images, p => p.ImageId, i => i.Id, (p, i) => new { p.ImageId, i.Key, p.Embedding })
            .OrderBy(r => r.ImageId)
            .AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            yield return new StoredEmbedding(row.ImageId, row.Key, row.Embedding!);
        }
    }

    public async Task<StoredEmbedding?> FindAsync(Guid runId, string key, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Predictions.AsNoTracking()
            .Where(p => p.RunId == runId && p.Embedding != null)
            .Join(db.Images.Where(i => i.Key == key), p => p.ImageId, i => i.Id, (p, i) => new { p.ImageId, i.Key, p.Embedding })
            .FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : new StoredEmbedding(row.ImageId, row.Key, row.Embedding!);
    }

    public async Task<IReadOnlyDictionary<long, ImageSummary>> DescribeAsync(
        Guid runId, IReadOnlyCollection<long> imageIds, CancellationToken cancellationToken)
    {
        var summaries = new Dictionary<long, ImageSummary>(imageIds.Count);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var chunk in imageIds.Distinct().Chunk(IdsPerQuery))
        {
            var rows = await db.Predictions.AsNoTracking()
                .Where(p => p.RunId == runId && chunk.Contains(p.ImageId))
                .Join(db.Images, p => p.ImageId, i => i.Id, (p, i) => new { p.ImageId, i.Key, i.Source, p.TopIndices, p.TopProbabilities })
                .ToListAsync(cancellationToken);
            foreach (var r in rows)
            {
                summaries[r.ImageId] = new ImageSummary(
                    r.ImageId, r.Key, r.Source, r.TopIndices.Length > 0 ? r.TopIndices[0] : -1, r.TopProbabilities.Length > 0 ? r.TopProbabilities[0] : 0f);
            }
        }

        return summaries;
    }
}

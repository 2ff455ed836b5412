using EfficientNet.Batch.Storage.Database;
using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>
/// The provider-neutral part of <see cref="IRunStore"/>, in EF Core over <see cref="BatchDbContext"/>. A provider
/// adds schema creation and the bulk image upsert (<see cref="SqliteRunStore"/>, later Postgres).
/// </summary>
public abstract class RunStore<TContext> : IRunStore
    where TContext : BatchDbContext
{
    private const int FailureGroupsShown = 20;

    protected RunStore(IDbContextFactory<TContext> contexts, TimeProvider time)
    {
        Contexts = contexts;
        Time = time;
    }

    protected IDbContextFactory<TContext> Contexts { get; }

    protected TimeProvider Time { get; }

    protected DateTime UtcNow => Time.GetUtcNow().UtcDateTime;

    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    public abstract Task<PlannedShard> AddShardAsync(
        Guid runId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    public async Task<long> EnsureModelAsync(
        string name, string uri, string sha256, string specJson, IReadOnlyList<string>? labels, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        ArgumentException.ThrowIfNullOrWhiteSpace(sha256);
        ArgumentNullException.ThrowIfNull(specJson);
        var hash = sha256.ToLowerInvariant();

        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var existing = await FindModelIdAsync(db, hash, cancellationToken);
        if (existing is { } id)
        {
            return id;
        }

        var model = new ModelEntity { Name = name, Uri = uri, Sha256 = hash, SpecJson = specJson, Labels = labels is null ? null : string.Join('\n', labels), CreatedAt = UtcNow };
        db.Models.Add(model);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return model.Id;
        }
        catch (DbUpdateException)
        {
            // Another process may have registered the same file between our read and our insert.
            await using var fresh = await Contexts.CreateDbContextAsync(cancellationToken);
            if (await FindModelIdAsync(fresh, hash, cancellationToken) is { } raced)
            {
                return raced;
            }

            throw;
        }
    }

    public async Task<ModelInfo?> GetModelAsync(long modelId, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.AsNoTracking().SingleOrDefaultAsync(m => m.Id == modelId, cancellationToken);
        return model is null
            ? null
            : new ModelInfo(model.Id, model.Name, model.Uri, model.Sha256, model.SpecJson, model.Labels?.Split('\n'));
    }

    public async Task<RunInfo> CreateRunAsync(NewRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrWhiteSpace(run.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(run.Source);
        if (!RunKind.IsKnown(run.Kind))
        {
            throw new ArgumentException(
                $"run kind '{run.Kind}' is not one of '{RunKind.Label}', '{RunKind.Teacher}'", nameof(run));
        }

        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var modelName = await db.Models.Where(m => m.Id == run.ModelId).Select(m => m.Name)
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw new ArgumentException($"model {run.ModelId} does not exist", nameof(run));

        var now = UtcNow;
        var entity = new RunEntity
        {
            Id = Guid.CreateVersion7(Time.GetUtcNow()),
            Name = run.Name,
            Kind = run.Kind,
            ModelId = run.ModelId,
            Source = run.Source,
            Status = RunStatus.Planning,
            TopK = run.TopK,
            StoreEmbeddings = run.StoreEmbeddings,
            ErrorBudget = run.ErrorBudget,
            ShardSize = run.ShardSize,
            CreatedAt = now,
        };
        db.Runs.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return ToRunInfo(entity, modelName);
    }

    public async Task SetRunStatusAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken)
    {
        var now = UtcNow;
        var starting = status == RunStatus.Running;
        DateTime? finishedAt = status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled ? now : null;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var updated = await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(
            set => set
                .SetProperty(r => r.Status, status)
                .SetProperty(r => r.StatusReason, reason)
                .SetProperty(r => r.StartedAt, r => starting && r.StartedAt == null ? now : r.StartedAt)
                .SetProperty(r => r.FinishedAt, finishedAt),
            cancellationToken);
        if (updated == 0)
        {
            throw new RunNotFoundException(runId);
        }
    }

    public async Task<bool> TryStartShardAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        var now = UtcNow;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);

        // One conditional UPDATE: a redelivery of a finished shard, or any shard of a run that is no longer
        // running, matches no row. A Running shard may be claimed again (its lease expired and it was re-published).
        var claimed = await db.Shards
            .Where(s => s.RunId == runId && s.ShardId == shardId
                && (s.Status == ShardStatus.Pending || s.Status == ShardStatus.Running)
                && db.Runs.Any(r => r.Id == runId && r.Status == RunStatus.Running))
            .ExecuteUpdateAsync(
                set => set
                    .SetProperty(s => s.Status, ShardStatus.Running)
                    .SetProperty(s => s.WorkerId, workerId)
                    .SetProperty(s => s.LeasedAt, now)
                    .SetProperty(s => s.Attempts, s => s.Attempts + 1),
                cancellationToken);
        return claimed == 1;
    }

    public async Task<RunProgress> GetProgressAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);

        // Read in this order without a transaction: status, then results, then shards. A run is marked finished
        // only after its last results commit, and results only exist for images of shards already written, so
        // every count read here is at least as complete as the one read before it (Done never exceeds TotalImages).
        var status = await db.Runs.Where(r => r.Id == runId).Select(r => (RunStatus?)r.Status)
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw new RunNotFoundException(runId);

        var succeeded = await db.Predictions.LongCountAsync(p => p.RunId == runId, cancellationToken);
        var failures = FailuresWithoutPrediction(db, runId);
        var failed = await failures.LongCountAsync(cancellationToken);
        var byReason = await failures
            .GroupBy(f => new { f.Stage, f.Reason })
            .Select(g => new { g.Key.Stage, g.Key.Reason, Count = g.LongCount() })
            .OrderByDescending(g => g.Count).ThenBy(g => g.Stage).ThenBy(g => g.Reason)
            .Take(FailureGroupsShown)
            .ToListAsync(cancellationToken);

        var shards = db.Shards.Where(s => s.RunId == runId);
        var totalShards = await shards.CountAsync(cancellationToken);
        var completedShards = await shards.CountAsync(s => s.Status == ShardStatus.Completed, cancellationToken);
        var totalImages = await shards.SumAsync(s => (long)s.ImageCount, cancellationToken);

        return new RunProgress(
            runId,
            status,
            totalImages,
            succeeded,
            failed,
            totalShards,
            completedShards,
            byReason.Select(g => new FailureCount(g.Stage, g.Reason, g.Count)).ToList());
    }

    public async Task SkipRemainingShardsAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await db.Shards
            .Where(s => s.RunId == runId && (s.Status == ShardStatus.Pending || s.Status == ShardStatus.Running))
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.Status, ShardStatus.Skipped), cancellationToken);
    }

    public async Task<IReadOnlyList<RunInfo>> ListRunsAsync(CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var rows = await RunsWithModelName(db).OrderByDescending(r => r.Run.CreatedAt).ToListAsync(cancellationToken);
        return rows.Select(r => ToRunInfo(r.Run, r.ModelName)).ToList();
    }

    public async Task<RunInfo?> FindRunAsync(string idOrName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrName);
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var runs = RunsWithModelName(db);

        RunWithModelName? match = null;
        if (string.Equals(idOrName, "latest", StringComparison.OrdinalIgnoreCase))
        {
            match = await runs.OrderByDescending(r => r.Run.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        }
        else if (Guid.TryParse(idOrName, out var id))
        {
            match = await runs.SingleOrDefaultAsync(r => r.Run.Id == id, cancellationToken);
        }

        // A name that happens to parse as a GUID still resolves by name when no run has that id.
        match ??= await runs.Where(r => r.Run.Name == idOrName).OrderByDescending(r => r.Run.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        return match is null ? null : ToRunInfo(match.Run, match.ModelName);
    }

    /// <summary>
    /// A run's failures, less any image that also has a prediction (a re-published shard that succeeded the
    /// second time): the prediction wins everywhere, so progress and export agree.
    /// </summary>
    private static IQueryable<FailureEntity> FailuresWithoutPrediction(TContext db, Guid runId) =>
        db.Failures.Where(f => f.RunId == runId
            && !db.Predictions.Any(p => p.RunId == f.RunId && p.ImageId == f.ImageId));

    private static IQueryable<RunWithModelName> RunsWithModelName(TContext db) =>
        db.Runs.Join(db.Models, r => r.ModelId, m => m.Id, (r, m) => new RunWithModelName { Run = r, ModelName = m.Name });

    private static Task<long?> FindModelIdAsync(TContext db, string sha256, CancellationToken cancellationToken) =>
        db.Models.Where(m => m.Sha256 == sha256).Select(m => (long?)m.Id).SingleOrDefaultAsync(cancellationToken);

    private static RunInfo ToRunInfo(RunEntity run, string modelName) => new(
        run.Id,
        run.Name,
        run.Kind,
        run.ModelId,
        modelName,
        run.Source,
        run.Status,
        run.TopK,
        run.StoreEmbeddings,
        run.ErrorBudget,
        new DateTimeOffset(run.CreatedAt, TimeSpan.Zero),
        run.FinishedAt is { } finished ? new DateTimeOffset(finished, TimeSpan.Zero) : null,
        run.StatusReason);

    private sealed class RunWithModelName
    {
        public required RunEntity Run { get; init; }
        public required string ModelName { get; init; }
    }
}

using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Database;
using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>
/// The provider-neutral part of <see cref="IRunStore"/>, in EF Core over <see cref="BatchDbContext"/>. A provider
/// adds schema creation and the bulk image upsert (<see cref="SqliteRunStore"/>, <see cref="PostgresRunStore"/>).
/// Transactions here are BEGIN IMMEDIATE on SQLite (one writer at a time) and READ COMMITTED on PostgreSQL, so every
/// read-then-write below either holds the write lock (SQLite) or re-checks its condition in the UPDATE itself.
/// </summary>
public abstract class RunStore<TContext> : IRunStore, IDatabaseProbe
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

    /// <summary>Readiness: a cheap indexed query (runs by status).</summary>
    public Task ProbeAsync(CancellationToken cancellationToken) => ListActiveRunsAsync(cancellationToken);

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
            StoreFullDistribution = run.StoreFullDistribution,
            SourceSetId = run.SourceSetId,
            PassId = run.PassId,
            Ensemble = run.Ensemble?.Format(),
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

    public async Task EndRunAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken)
    {
        if (status is not (RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "a run ends Completed, Failed or Cancelled");
        }

        var now = UtcNow;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var updated = await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(
            set => set
                .SetProperty(r => r.Status, status)
                .SetProperty(r => r.StatusReason, reason)
                .SetProperty(r => r.FinishedAt, now),
            cancellationToken);
        if (updated == 0)
        {
            throw new RunNotFoundException(runId);
        }

        if (status != RunStatus.Completed)
        {
            await SkipRemainingShardsAsync(db, runId, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
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
        var run = await db.Runs.Where(r => r.Id == runId)
            .Select(r => new { r.Status, PlanningCompleted = r.PlanningCompletedAt != null })
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
        var skippedShards = await shards.CountAsync(s => s.Status == ShardStatus.Skipped, cancellationToken);
        var totalImages = await shards.Where(s => !s.IsRetry).SumAsync(s => (long)s.ImageCount, cancellationToken);

        return new RunProgress(
            runId,
            run.Status,
            totalImages,
            succeeded,
            failed,
            totalShards,
            completedShards,
            byReason.Select(g => new FailureCount(g.Stage, g.Reason, g.Count)).ToList(),
            run.PlanningCompleted,
            skippedShards);
    }

    public async Task SkipRemainingShardsAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await SkipRemainingShardsAsync(db, runId, cancellationToken);
    }

    private static Task<int> SkipRemainingShardsAsync(TContext db, Guid runId, CancellationToken cancellationToken) =>
        db.Shards
            .Where(s => s.RunId == runId && (s.Status == ShardStatus.Pending || s.Status == ShardStatus.Running))
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.Status, ShardStatus.Skipped), cancellationToken);

    public async Task<IReadOnlyList<RunInfo>> ListRunsAsync(CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var rows = await RunsWithModelName(db).OrderByDescending(r => r.Run.CreatedAt).ToListAsync(cancellationToken);
        return rows.Select(r => ToRunInfo(r.Run, r.ModelName)).ToList();
    }

    public async Task<IReadOnlyList<RunInfo>> ListPassRunsAsync(Guid passId, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var rows = await RunsWithModelName(db).Where(r => r.Run.PassId == passId).OrderBy(r => r.Run.CreatedAt).ThenBy(r => r.Run.Id).ToListAsync(cancellationToken);
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

    public async Task CompletePlanningAsync(Guid runId, CancellationToken cancellationToken)
    {
        var now = UtcNow;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);

        // Keeps the first time when called again (a planner that resumed), and matches every existing run.
        var updated = await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(
            set => set.SetProperty(r => r.PlanningCompletedAt, r => r.PlanningCompletedAt ?? (DateTime?)now),
            cancellationToken);
        if (updated == 0)
        {
            throw new RunNotFoundException(runId);
        }
    }

    public async Task<bool> RenewLeaseAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken) =>
        await RenewShardLeaseAsync(runId, shardId, workerId, cancellationToken) == LeaseRenewal.Renewed;

    public async Task<LeaseRenewal> RenewShardLeaseAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        var now = UtcNow;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var renewed = await db.Shards
            .Where(s => s.RunId == runId && s.ShardId == shardId && s.Status == ShardStatus.Running && s.WorkerId == workerId)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeasedAt, now), cancellationToken);
        if (renewed == 1)
        {
            return LeaseRenewal.Renewed;
        }

        // Only a lost lease pays for the second statement, on the same connection.
        var running = await db.Runs.AnyAsync(r => r.Id == runId && r.Status == RunStatus.Running, cancellationToken);
        return running ? LeaseRenewal.Reassigned : LeaseRenewal.RunEnded;
    }

    public async Task<IReadOnlyList<ExpiredShard>> ClaimExpiredShardsAsync(TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, 0);
        var now = UtcNow;
        var expiredBefore = now - lease;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var candidates = await ExpiredShards(db, expiredBefore)
            .OrderBy(s => s.LeasedAt ?? s.CreatedAt).ThenBy(s => s.RunId).ThenBy(s => s.ShardId)
            .Take(limit)
            .Select(s => new { s.RunId, s.ShardId, s.Status, s.Attempts, s.ImageIds })
            .ToListAsync(cancellationToken);

        // Each claim locks the row first (PostgreSQL: skipped, not waited for, while another transaction holds it; see
        // TryLockShardAsync) and re-checks the expiry in its UPDATE: a concurrent sweeper that claimed the shard first
        // has moved leased_at to its "now", and the UPDATE's fresh READ COMMITTED snapshot sees it, so it matches no row
        // (SQLite never gets here concurrently, its transaction holds the write lock).
        var claimed = new List<(Guid RunId, long ShardId, ShardStatus Status, int Attempts, long[] ImageIds)>(candidates.Count);
        foreach (var candidate in candidates)
        {
            if (!await TryLockShardAsync(db, candidate.RunId, candidate.ShardId, cancellationToken))
            {
                continue;
            }

            var updated = await ExpiredShards(db, expiredBefore)
                .Where(s => s.RunId == candidate.RunId && s.ShardId == candidate.ShardId)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeasedAt, now).SetProperty(s => s.PublishedAt, now), cancellationToken);
            if (updated == 1)
            {
                claimed.Add((candidate.RunId, candidate.ShardId, candidate.Status, candidate.Attempts, candidate.ImageIds));
            }
        }

        var keys = await KeysOfAsync(db, claimed.SelectMany(c => c.ImageIds).Distinct().ToArray(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return claimed
            .Select(c => new ExpiredShard(c.RunId, c.ShardId, c.Status, c.Attempts, c.ImageIds.Select(id => new ShardItem(id, keys[id])).ToList()))
            .ToList();
    }

    /// <summary>
    /// Locks a shard row inside the current transaction for <see cref="ClaimExpiredShardsAsync"/>, or returns false
    /// at once when another transaction holds it. The default is for a provider whose transaction already holds the
    /// only write lock (SQLite's BEGIN IMMEDIATE).
    /// </summary>
    protected virtual Task<bool> TryLockShardAsync(TContext db, Guid runId, long shardId, CancellationToken cancellationToken) =>
        Task.FromResult(true);

    public async Task<IReadOnlyList<PlannedShard>> RequeueFailedImagesAsync(Guid runId, int shardSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(shardSize, 0);
        var now = UtcNow;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // Updating the run first locks its row until commit (on PostgreSQL the same lock a planner takes), so the next
        // shard id read below cannot race; when nothing failed, the rollback leaves the run as it was.
        var updated = await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(
            set => set
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.StatusReason, (string?)null)
                .SetProperty(r => r.FinishedAt, (DateTime?)null),
            cancellationToken);
        if (updated == 0)
        {
            throw new RunNotFoundException(runId);
        }

        var failed = await FailuresWithoutPrediction(db, runId)
            .Join(db.Images, f => f.ImageId, i => i.Id, (f, i) => new { i.Id, i.Key })
            .OrderBy(i => i.Id)
            .ToListAsync(cancellationToken);
        if (failed.Count == 0)
        {
            return [];
        }

        // Exactly the failures read above: a failure a late writer adds meanwhile stays, rather than vanishing unqueued.
        var failedIds = failed.Select(f => f.Id).ToArray();
        await db.Failures.Where(f => f.RunId == runId && EF.Parameter(failedIds).Contains(f.ImageId))
            .ExecuteDeleteAsync(cancellationToken);

        var nextShardId = (await db.Shards.Where(s => s.RunId == runId).MaxAsync(s => (long?)s.ShardId, cancellationToken) ?? 0) + 1;
        var shards = failed.Chunk(shardSize)
            .Select((chunk, i) => new PlannedShard(nextShardId + i, chunk.Select(f => new ShardItem(f.Id, f.Key)).ToList()))
            .ToList();
        db.Shards.AddRange(shards.Select(shard => new ShardEntity
        {
            RunId = runId,
            ShardId = shard.ShardId,
            Status = ShardStatus.Pending,
            ImageIds = shard.Items.Select(i => i.ImageId).ToArray(),
            ImageCount = shard.Items.Count,
            CreatedAt = now,
            IsRetry = true,
        }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return shards;
    }

    public async Task<IReadOnlyList<PlannedShard>> ListUnfinishedShardsAsync(Guid runId, long afterShardId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, 0);
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var shards = await db.Shards
            .Where(s => s.RunId == runId && s.ShardId > afterShardId && (s.Status == ShardStatus.Pending || s.Status == ShardStatus.Running))
            .OrderBy(s => s.ShardId)
            .Take(limit)
            .Select(s => new { s.ShardId, s.ImageIds })
            .ToListAsync(cancellationToken);
        var keys = await KeysOfAsync(db, shards.SelectMany(s => s.ImageIds).Distinct().ToArray(), cancellationToken);
        return shards.Select(s => new PlannedShard(s.ShardId, s.ImageIds.Select(id => new ShardItem(id, keys[id])).ToList())).ToList();
    }

    public async Task<string?> FindLastPlannedKeyAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var last = await db.Shards.Where(s => s.RunId == runId && !s.IsRetry)
            .OrderByDescending(s => s.ShardId)
            .Select(s => s.ImageIds)
            .FirstOrDefaultAsync(cancellationToken);
        if (last is not { Length: > 0 })
        {
            return null;
        }

        var lastId = last[^1];
        return await db.Images.Where(i => i.Id == lastId).Select(i => i.Key).SingleAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> FilterUnlabeledAsync(
        long modelId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        // One query with the keys as ONE parameter (PostgreSQL: key = ANY(@keys); SQLite: IN (SELECT value FROM
        // json_each(@keys))), served by ux_images_source_key and ix_predictions_image_id.
        var candidates = keys as string[] ?? keys.ToArray();
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var labeled = await db.Images
            .Where(i => i.Source == source && EF.Parameter(candidates).Contains(i.Key)
                && db.Predictions.Any(p => p.ImageId == i.Id && db.Runs.Any(r => r.Id == p.RunId && r.ModelId == modelId)))
            .Select(i => i.Key)
            .ToListAsync(cancellationToken);
        if (labeled.Count == 0)
        {
            return keys;
        }

        var done = labeled.ToHashSet(StringComparer.Ordinal);
        return keys.Where(k => !done.Contains(k)).ToList();
    }

    public async Task<IReadOnlyList<RunInfo>> ListActiveRunsAsync(CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var rows = await RunsWithModelName(db).Where(r => r.Run.Status == RunStatus.Running)
            .OrderBy(r => r.Run.CreatedAt).ToListAsync(cancellationToken);
        return rows.Select(r => ToRunInfo(r.Run, r.ModelName)).ToList();
    }

    /// <summary>The keys of a shard, refused when one repeats: a shard holds each image once.</summary>
    protected static void EnsureShardKeys(string source, IReadOnlyList<string> keys)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("a shard needs at least one image key", nameof(keys));
        }

        var distinct = new HashSet<string>(keys.Count, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!distinct.Add(key))
            {
                throw new ArgumentException($"image key '{key}' appears twice in one shard", nameof(keys));
            }
        }
    }

    /// <summary>
    /// Shards of running runs that nobody holds: Running with a lease older than <paramref name="expiredBefore"/>,
    /// or Pending and written (or last re-published) before it.
    /// </summary>
    // Running with an old lease: its worker died or hangs. Pending and never published: the planner died between
    // committing the shard and publishing it. A Pending shard that was published is waiting in the queue, however
    // long the backlog: re-publishing it would only fill the queue with duplicates.
    private static IQueryable<ShardEntity> ExpiredShards(TContext db, DateTime expiredBefore) =>
        db.Shards.Where(s => ((s.Status == ShardStatus.Running && s.LeasedAt < expiredBefore)
                || (s.Status == ShardStatus.Pending && s.PublishedAt == null && s.CreatedAt < expiredBefore))
            && db.Runs.Any(r => r.Id == s.RunId && r.Status == RunStatus.Running));

    public async Task MarkPublishedAsync(Guid runId, IReadOnlyList<long> shardIds, CancellationToken cancellationToken)
    {
        var now = UtcNow;
        var ids = shardIds.ToArray();
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await db.Shards.Where(s => s.RunId == runId && ids.Contains(s.ShardId) && s.PublishedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.PublishedAt, now), cancellationToken);
    }

    private static async Task<Dictionary<long, string>> KeysOfAsync(TContext db, long[] imageIds, CancellationToken cancellationToken) =>
        imageIds.Length == 0
            ? []
            : await db.Images.Where(i => EF.Parameter(imageIds).Contains(i.Id))
                .Select(i => new { i.Id, i.Key })
                .ToDictionaryAsync(i => i.Id, i => i.Key, cancellationToken);

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
        run.StatusReason,
        run.ShardSize,
        run.StoreFullDistribution,
        run.SourceSetId,
        run.PassId,
        RunEnsemble.Parse(run.Ensemble));

    private sealed class RunWithModelName
    {
        public required RunEntity Run { get; init; }
        public required string ModelName { get; init; }
    }
}

using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.Storage.Database;

/// <summary>
/// The schema shared by every provider. Each provider derives its own context (<see cref="Sqlite.SqliteBatchDbContext"/>,
/// later a Postgres one) which owns that provider's migrations and its type mappings for arrays and timestamps.
/// </summary>
public abstract class BatchDbContext : DbContext
{
    protected BatchDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<ModelEntity> Models => Set<ModelEntity>();
    public DbSet<ImageEntity> Images => Set<ImageEntity>();
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<ShardEntity> Shards => Set<ShardEntity>();
    public DbSet<PredictionEntity> Predictions => Set<PredictionEntity>();
    public DbSet<FailureEntity> Failures => Set<FailureEntity>();
    public DbSet<PseudoLabelSetEntity> PseudoLabelSets => Set<PseudoLabelSetEntity>();
    public DbSet<PseudoLabelClassEntity> PseudoLabelClasses => Set<PseudoLabelClassEntity>();
    public DbSet<PseudoLabelEntity> PseudoLabels => Set<PseudoLabelEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(BatchDbContext).Assembly);
}

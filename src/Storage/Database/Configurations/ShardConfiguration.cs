using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Entities;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class ShardConfiguration : IEntityTypeConfiguration<ShardEntity>
{
    public void Configure(EntityTypeBuilder<ShardEntity> builder)
    {
        builder.ToTable("shards");
        builder.HasKey(s => new { s.RunId, s.ShardId }).HasName("pk_shards");
        builder.Property(s => s.RunId).HasColumnName("run_id");
        builder.Property(s => s.ShardId).HasColumnName("shard_id").ValueGeneratedNever();
        builder.Property(s => s.Status).HasColumnName("status").HasConversion<LowerCaseEnumConverter<ShardStatus>>();
        builder.Property(s => s.WorkerId).HasColumnName("worker_id");
        builder.Property(s => s.Attempts).HasColumnName("attempts");
        builder.Property(s => s.ImageIds).HasColumnName("image_ids");
        builder.Property(s => s.ImageCount).HasColumnName("image_count");
        builder.Property(s => s.LeasedAt).HasColumnName("leased_at");
        builder.Property(s => s.CompletedAt).HasColumnName("completed_at");
        builder.Property(s => s.OkCount).HasColumnName("ok_count");
        builder.Property(s => s.FailedCount).HasColumnName("failed_count");
        builder.Property(s => s.CreatedAt).HasColumnName("created_at");
        builder.Property(s => s.PublishedAt).HasColumnName("published_at");
        builder.Property(s => s.IsRetry).HasColumnName("is_retry");

        builder.HasOne<RunEntity>().WithMany().HasForeignKey(s => s.RunId)
            .HasConstraintName("fk_shards_runs_run_id").OnDelete(DeleteBehavior.Cascade);

        // Progress (completed shards of a run) and the sweeper (running shards of a run).
        builder.HasIndex(s => new { s.RunId, s.Status }).HasDatabaseName("ix_shards_run_id_status");
    }
}

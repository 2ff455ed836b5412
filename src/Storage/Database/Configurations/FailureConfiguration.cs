using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class FailureConfiguration : IEntityTypeConfiguration<FailureEntity>
{
    public void Configure(EntityTypeBuilder<FailureEntity> builder)
    {
        builder.ToTable("failures");
        builder.HasKey(f => new { f.RunId, f.ImageId }).HasName("pk_failures");
        builder.Property(f => f.RunId).HasColumnName("run_id");
        builder.Property(f => f.ImageId).HasColumnName("image_id");
        builder.Property(f => f.Stage).HasColumnName("stage");
        builder.Property(f => f.Reason).HasColumnName("reason");
        builder.Property(f => f.CreatedAt).HasColumnName("created_at");

        builder.HasOne<RunEntity>().WithMany().HasForeignKey(f => f.RunId)
            .HasConstraintName("fk_failures_runs_run_id").OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ImageEntity>().WithMany().HasForeignKey(f => f.ImageId)
            .HasConstraintName("fk_failures_images_image_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(f => f.ImageId).HasDatabaseName("ix_failures_image_id");

        // Progress groups a run's failures by (stage, reason): a covering index, no table scan.
        builder.HasIndex(f => new { f.RunId, f.Stage, f.Reason }).HasDatabaseName("ix_failures_run_id_stage_reason");
    }
}

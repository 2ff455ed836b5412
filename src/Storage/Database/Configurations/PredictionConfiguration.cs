using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class PredictionConfiguration : IEntityTypeConfiguration<PredictionEntity>
{
    public void Configure(EntityTypeBuilder<PredictionEntity> builder)
    {
        builder.ToTable("predictions");
        // The key that makes redelivered shards idempotent (INSERT ... ON CONFLICT (run_id, image_id) DO NOTHING);
        // its leading run_id also serves the progress count.
        builder.HasKey(p => new { p.RunId, p.ImageId }).HasName("pk_predictions");
        builder.Property(p => p.RunId).HasColumnName("run_id");
        builder.Property(p => p.ImageId).HasColumnName("image_id");
        builder.Property(p => p.TopIndices).HasColumnName("top_indices");
        builder.Property(p => p.TopProbabilities).HasColumnName("top_probabilities");
        // One stored precision on both providers: float16 bytes (Float16Blob), converted to float[] for EF Core readers.
        builder.Property(p => p.Embedding).HasColumnName("embedding")
            .HasConversion<Float16BlobConverter, ArrayContentComparer<float>>();
        builder.Property(p => p.FullProbabilities).HasColumnName("full_probabilities");
        builder.Property(p => p.CreatedAt).HasColumnName("created_at");

        builder.HasOne<RunEntity>().WithMany().HasForeignKey(p => p.RunId)
            .HasConstraintName("fk_predictions_runs_run_id").OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ImageEntity>().WithMany().HasForeignKey(p => p.ImageId)
            .HasConstraintName("fk_predictions_images_image_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(p => p.ImageId).HasDatabaseName("ix_predictions_image_id");
    }
}

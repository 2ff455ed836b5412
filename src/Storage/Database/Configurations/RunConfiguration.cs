using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Entities;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class RunConfiguration : IEntityTypeConfiguration<RunEntity>
{
    public void Configure(EntityTypeBuilder<RunEntity> builder)
    {
        builder.ToTable("runs", table => table.HasCheckConstraint(
            "ck_runs_kind", $"kind IN ('{RunKind.Label}', '{RunKind.Teacher}')"));
        builder.HasKey(r => r.Id).HasName("pk_runs");
        builder.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(r => r.Name).HasColumnName("name");
        builder.Property(r => r.Kind).HasColumnName("kind");
        builder.Property(r => r.ModelId).HasColumnName("model_id");
        builder.Property(r => r.Source).HasColumnName("source");
        builder.Property(r => r.Status).HasColumnName("status").HasConversion<LowerCaseEnumConverter<RunStatus>>();
        builder.Property(r => r.StatusReason).HasColumnName("status_reason");
        builder.Property(r => r.TopK).HasColumnName("top_k");
        builder.Property(r => r.StoreEmbeddings).HasColumnName("store_embeddings");
        builder.Property(r => r.StoreFullDistribution).HasColumnName("store_full_distribution");
        builder.Property(r => r.SourceSetId).HasColumnName("source_set_id");
        builder.Property(r => r.PassId).HasColumnName("pass_id");
        builder.Property(r => r.Ensemble).HasColumnName("ensemble");
        builder.Property(r => r.ErrorBudget).HasColumnName("error_budget");
        builder.Property(r => r.ShardSize).HasColumnName("shard_size");
        builder.Property(r => r.CreatedAt).HasColumnName("created_at");
        builder.Property(r => r.StartedAt).HasColumnName("started_at");
        builder.Property(r => r.FinishedAt).HasColumnName("finished_at");
        builder.Property(r => r.PlanningCompletedAt).HasColumnName("planning_completed_at");

        builder.HasOne<ModelEntity>().WithMany().HasForeignKey(r => r.ModelId)
            .HasConstraintName("fk_runs_models_model_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(r => r.ModelId).HasDatabaseName("ix_runs_model_id");

        // FindRunAsync: by name (newest wins) and "latest".
        builder.HasIndex(r => new { r.Name, r.CreatedAt }).HasDatabaseName("ix_runs_name_created_at");
        builder.HasIndex(r => r.CreatedAt).HasDatabaseName("ix_runs_created_at");

        // ListActiveRunsAsync and the sweeper's join: the few running runs among many finished ones.
        builder.HasIndex(r => r.Status).HasDatabaseName("ix_runs_status");

        // The other runs of a pass (status, runs, the dashboard).
        builder.HasIndex(r => r.PassId).HasDatabaseName("ix_runs_pass_id");
    }
}

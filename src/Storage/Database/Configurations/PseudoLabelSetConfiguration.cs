using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class PseudoLabelSetConfiguration : IEntityTypeConfiguration<PseudoLabelSetEntity>
{
    public void Configure(EntityTypeBuilder<PseudoLabelSetEntity> builder)
    {
        builder.ToTable("pseudo_label_sets", table => table.HasCheckConstraint("ck_pseudo_label_sets_mode", "mode IN ('hard', 'soft')"));
        builder.HasKey(s => s.Id).HasName("pk_pseudo_label_sets");
        builder.Property(s => s.Id).HasColumnName("id").ValueGeneratedOnAdd();
        builder.Property(s => s.Name).HasColumnName("name");
        builder.Property(s => s.TeacherRunId).HasColumnName("teacher_run_id");
        builder.Property(s => s.TeacherModelId).HasColumnName("teacher_model_id");
        builder.Property(s => s.TeacherModelName).HasColumnName("teacher_model_name");
        builder.Property(s => s.TeacherModelSha256).HasColumnName("teacher_model_sha256");
        builder.Property(s => s.ParentSetId).HasColumnName("parent_set_id");
        builder.Property(s => s.Generation).HasColumnName("generation");
        builder.Property(s => s.Mode).HasColumnName("mode");
        builder.Property(s => s.Temperature).HasColumnName("temperature");
        builder.Property(s => s.PerClassTarget).HasColumnName("per_class_target");
        builder.Property(s => s.MinConfidence).HasColumnName("min_confidence");
        builder.Property(s => s.Seed).HasColumnName("seed");
        builder.Property(s => s.UniqueImages).HasColumnName("unique_images");
        builder.Property(s => s.TotalSamples).HasColumnName("total_samples");
        builder.Property(s => s.ExcludeNearRun).HasColumnName("exclude_near_run");
        builder.Property(s => s.ExcludeSimilarity).HasColumnName("exclude_similarity");
        builder.Property(s => s.ExcludedNear).HasColumnName("excluded_near").HasDefaultValue(0L);
        builder.Property(s => s.DedupSimilarity).HasColumnName("dedup_similarity");
        builder.Property(s => s.DedupRemoved).HasColumnName("dedup_removed").HasDefaultValue(0L);
        builder.Property(s => s.CreatedAt).HasColumnName("created_at");

        // Sets are named by users (select --name, export --set): one set per name.
        builder.HasIndex(s => s.Name).IsUnique().HasDatabaseName("ux_pseudo_label_sets_name");

        // A teacher run's predictions are what a set was drawn from: the run cannot be deleted under it.
        builder.HasOne<RunEntity>().WithMany().HasForeignKey(s => s.TeacherRunId)
            .HasConstraintName("fk_pseudo_label_sets_runs_teacher_run_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.TeacherRunId).HasDatabaseName("ix_pseudo_label_sets_teacher_run_id");
        builder.HasOne<ModelEntity>().WithMany().HasForeignKey(s => s.TeacherModelId)
            .HasConstraintName("fk_pseudo_label_sets_models_teacher_model_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.TeacherModelId).HasDatabaseName("ix_pseudo_label_sets_teacher_model_id");
        builder.HasOne<PseudoLabelSetEntity>().WithMany().HasForeignKey(s => s.ParentSetId)
            .HasConstraintName("fk_pseudo_label_sets_parent_set_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.ParentSetId).HasDatabaseName("ix_pseudo_label_sets_parent_set_id");
    }
}

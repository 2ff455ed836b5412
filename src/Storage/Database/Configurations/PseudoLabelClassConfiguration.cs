using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class PseudoLabelClassConfiguration : IEntityTypeConfiguration<PseudoLabelClassEntity>
{
    public void Configure(EntityTypeBuilder<PseudoLabelClassEntity> builder)
    {
        builder.ToTable("pseudo_label_classes");
        builder.HasKey(c => new { c.SetId, c.ClassIndex }).HasName("pk_pseudo_label_classes");
        builder.Property(c => c.SetId).HasColumnName("set_id");
        builder.Property(c => c.ClassIndex).HasColumnName("class_index");
        builder.Property(c => c.ThresholdBucket).HasColumnName("threshold_bucket");
        builder.Property(c => c.Candidates).HasColumnName("candidates");
        builder.Property(c => c.Selected).HasColumnName("selected");
        builder.Property(c => c.Samples).HasColumnName("samples");

        builder.HasOne<PseudoLabelSetEntity>().WithMany().HasForeignKey(c => c.SetId)
            .HasConstraintName("fk_pseudo_label_classes_sets_set_id").OnDelete(DeleteBehavior.Cascade);
    }
}

using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class PseudoLabelConfiguration : IEntityTypeConfiguration<PseudoLabelEntity>
{
    public void Configure(EntityTypeBuilder<PseudoLabelEntity> builder)
    {
        builder.ToTable("pseudo_labels");

        // Export and compare read a set's rows in image order: the key serves both (and a merge join of two sets).
        builder.HasKey(l => new { l.SetId, l.ImageId }).HasName("pk_pseudo_labels");
        builder.Property(l => l.SetId).HasColumnName("set_id");
        builder.Property(l => l.ImageId).HasColumnName("image_id");
        builder.Property(l => l.Label).HasColumnName("label");
        builder.Property(l => l.Confidence).HasColumnName("confidence");
        builder.Property(l => l.Copies).HasColumnName("copies");

        builder.HasOne<PseudoLabelSetEntity>().WithMany().HasForeignKey(l => l.SetId)
            .HasConstraintName("fk_pseudo_labels_sets_set_id").OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ImageEntity>().WithMany().HasForeignKey(l => l.ImageId)
            .HasConstraintName("fk_pseudo_labels_images_image_id").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(l => l.ImageId).HasDatabaseName("ix_pseudo_labels_image_id");
    }
}

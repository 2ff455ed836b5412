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

        // No foreign keys, on purpose: rows are written only by the selection, in the transaction that creates their
        // set, from predictions of the set's teacher run (which reference their images), so they hold by construction.
        // PostgreSQL checks a foreign key with a trigger per row: two of them took 1.0 of 1.5 s for 57k rows
        // (measured with EXPLAIN ANALYZE), which at 10M selected images would be minutes.
    }
}

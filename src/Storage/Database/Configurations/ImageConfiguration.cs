using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class ImageConfiguration : IEntityTypeConfiguration<ImageEntity>
{
    public void Configure(EntityTypeBuilder<ImageEntity> builder)
    {
        builder.ToTable("images");
        builder.HasKey(i => i.Id).HasName("pk_images");
        builder.Property(i => i.Id).HasColumnName("id").ValueGeneratedOnAdd();
        builder.Property(i => i.Source).HasColumnName("source");
        builder.Property(i => i.Key).HasColumnName("key");

        // The planner's upsert target (INSERT ... ON CONFLICT (source, key)).
        builder.HasIndex(i => new { i.Source, i.Key }).IsUnique().HasDatabaseName("ux_images_source_key");
    }
}

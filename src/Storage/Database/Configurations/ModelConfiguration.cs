using EfficientNet.Batch.Storage.Database.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EfficientNet.Batch.Storage.Database.Configurations;

public sealed class ModelConfiguration : IEntityTypeConfiguration<ModelEntity>
{
    public void Configure(EntityTypeBuilder<ModelEntity> builder)
    {
        builder.ToTable("models");
        builder.HasKey(m => m.Id).HasName("pk_models");
        builder.Property(m => m.Id).HasColumnName("id").ValueGeneratedOnAdd();
        builder.Property(m => m.Name).HasColumnName("name");
        builder.Property(m => m.Uri).HasColumnName("uri");
        builder.Property(m => m.Sha256).HasColumnName("sha256");
        builder.Property(m => m.SpecJson).HasColumnName("spec_json");
        builder.Property(m => m.Labels).HasColumnName("labels");
        builder.Property(m => m.CreatedAt).HasColumnName("created_at");

        builder.HasIndex(m => m.Sha256).IsUnique().HasDatabaseName("ux_models_sha256");
    }
}

using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Sqlite
{
    /// <summary>
    /// Embeddings from float32 BLOBs to float16 BLOBs (Float16Blob's layout, the same on both providers). The column
    /// stays a BLOB; existing rows are converted by a function every connection registers
    /// (SqliteConnectionSettings), since SQLite's SQL cannot read floats out of a BLOB.
    /// </summary>
    public partial class EmbeddingsFloat16 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                $"UPDATE predictions SET embedding = {SqliteConnectionSettings.Float32ToFloat16}(embedding) WHERE embedding IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                $"UPDATE predictions SET embedding = {SqliteConnectionSettings.Float16ToFloat32}(embedding) WHERE embedding IS NOT NULL;");
        }
    }
}

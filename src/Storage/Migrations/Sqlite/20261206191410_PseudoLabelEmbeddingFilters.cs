using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PseudoLabelEmbeddingFilters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "dedup_removed",
                table: "pseudo_label_sets",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "dedup_similarity",
                table: "pseudo_label_sets",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "exclude_near_run",
                table: "pseudo_label_sets",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "exclude_similarity",
                table: "pseudo_label_sets",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "excluded_near",
                table: "pseudo_label_sets",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "dedup_removed",
                table: "pseudo_label_sets");

            migrationBuilder.DropColumn(
                name: "dedup_similarity",
                table: "pseudo_label_sets");

            migrationBuilder.DropColumn(
                name: "exclude_near_run",
                table: "pseudo_label_sets");

            migrationBuilder.DropColumn(
                name: "exclude_similarity",
                table: "pseudo_label_sets");

            migrationBuilder.DropColumn(
                name: "excluded_near",
                table: "pseudo_label_sets");
        }
    }
}

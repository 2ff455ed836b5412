using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PseudoLabels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "source_set_id",
                table: "runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "store_full_distribution",
                table: "runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<byte[]>(
                name: "full_probabilities",
                table: "predictions",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "pseudo_label_sets",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    teacher_run_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    teacher_model_id = table.Column<long>(type: "INTEGER", nullable: false),
                    teacher_model_name = table.Column<string>(type: "TEXT", nullable: false),
                    teacher_model_sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    parent_set_id = table.Column<long>(type: "INTEGER", nullable: true),
                    generation = table.Column<int>(type: "INTEGER", nullable: false),
                    mode = table.Column<string>(type: "TEXT", nullable: false),
                    temperature = table.Column<double>(type: "REAL", nullable: false),
                    per_class_target = table.Column<long>(type: "INTEGER", nullable: false),
                    min_confidence = table.Column<double>(type: "REAL", nullable: false),
                    seed = table.Column<long>(type: "INTEGER", nullable: false),
                    unique_images = table.Column<long>(type: "INTEGER", nullable: false),
                    total_samples = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pseudo_label_sets", x => x.id);
                    table.CheckConstraint("ck_pseudo_label_sets_mode", "mode IN ('hard', 'soft')");
                    table.ForeignKey(
                        name: "fk_pseudo_label_sets_models_teacher_model_id",
                        column: x => x.teacher_model_id,
                        principalTable: "models",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_pseudo_label_sets_parent_set_id",
                        column: x => x.parent_set_id,
                        principalTable: "pseudo_label_sets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_pseudo_label_sets_runs_teacher_run_id",
                        column: x => x.teacher_run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "pseudo_labels",
                columns: table => new
                {
                    set_id = table.Column<long>(type: "INTEGER", nullable: false),
                    image_id = table.Column<long>(type: "INTEGER", nullable: false),
                    label = table.Column<int>(type: "INTEGER", nullable: false),
                    confidence = table.Column<float>(type: "REAL", nullable: false),
                    copies = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pseudo_labels", x => new { x.set_id, x.image_id });
                });

            migrationBuilder.CreateTable(
                name: "pseudo_label_classes",
                columns: table => new
                {
                    set_id = table.Column<long>(type: "INTEGER", nullable: false),
                    class_index = table.Column<int>(type: "INTEGER", nullable: false),
                    threshold_bucket = table.Column<int>(type: "INTEGER", nullable: false),
                    candidates = table.Column<long>(type: "INTEGER", nullable: false),
                    selected = table.Column<long>(type: "INTEGER", nullable: false),
                    samples = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pseudo_label_classes", x => new { x.set_id, x.class_index });
                    table.ForeignKey(
                        name: "fk_pseudo_label_classes_sets_set_id",
                        column: x => x.set_id,
                        principalTable: "pseudo_label_sets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_pseudo_label_sets_parent_set_id",
                table: "pseudo_label_sets",
                column: "parent_set_id");

            migrationBuilder.CreateIndex(
                name: "ix_pseudo_label_sets_teacher_model_id",
                table: "pseudo_label_sets",
                column: "teacher_model_id");

            migrationBuilder.CreateIndex(
                name: "ix_pseudo_label_sets_teacher_run_id",
                table: "pseudo_label_sets",
                column: "teacher_run_id");

            migrationBuilder.CreateIndex(
                name: "ux_pseudo_label_sets_name",
                table: "pseudo_label_sets",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pseudo_label_classes");

            migrationBuilder.DropTable(
                name: "pseudo_labels");

            migrationBuilder.DropTable(
                name: "pseudo_label_sets");

            migrationBuilder.DropColumn(
                name: "source_set_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "store_full_distribution",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "full_probabilities",
                table: "predictions");
        }
    }
}

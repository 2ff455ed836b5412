using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    source = table.Column<string>(type: "TEXT", nullable: false),
                    key = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "models",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    uri = table.Column<string>(type: "TEXT", nullable: false),
                    sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    spec_json = table.Column<string>(type: "TEXT", nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_models", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    model_id = table.Column<long>(type: "INTEGER", nullable: false),
                    source = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    status_reason = table.Column<string>(type: "TEXT", nullable: true),
                    top_k = table.Column<int>(type: "INTEGER", nullable: false),
                    store_embeddings = table.Column<bool>(type: "INTEGER", nullable: false),
                    error_budget = table.Column<double>(type: "REAL", nullable: false),
                    shard_size = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    finished_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    planning_completed_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runs", x => x.id);
                    table.CheckConstraint("ck_runs_kind", "kind IN ('label', 'teacher')");
                    table.ForeignKey(
                        name: "fk_runs_models_model_id",
                        column: x => x.model_id,
                        principalTable: "models",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "failures",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    image_id = table.Column<long>(type: "INTEGER", nullable: false),
                    stage = table.Column<string>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_failures", x => new { x.run_id, x.image_id });
                    table.ForeignKey(
                        name: "fk_failures_images_image_id",
                        column: x => x.image_id,
                        principalTable: "images",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_failures_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "predictions",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    image_id = table.Column<long>(type: "INTEGER", nullable: false),
                    top_indices = table.Column<byte[]>(type: "BLOB", nullable: false),
                    top_probabilities = table.Column<byte[]>(type: "BLOB", nullable: false),
                    embedding = table.Column<byte[]>(type: "BLOB", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_predictions", x => new { x.run_id, x.image_id });
                    table.ForeignKey(
                        name: "fk_predictions_images_image_id",
                        column: x => x.image_id,
                        principalTable: "images",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_predictions_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "shards",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    shard_id = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    worker_id = table.Column<string>(type: "TEXT", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    image_ids = table.Column<byte[]>(type: "BLOB", nullable: false),
                    image_count = table.Column<int>(type: "INTEGER", nullable: false),
                    leased_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ok_count = table.Column<int>(type: "INTEGER", nullable: false),
                    failed_count = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    is_retry = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_shards", x => new { x.run_id, x.shard_id });
                    table.ForeignKey(
                        name: "fk_shards_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_failures_image_id",
                table: "failures",
                column: "image_id");

            migrationBuilder.CreateIndex(
                name: "ix_failures_run_id_stage_reason",
                table: "failures",
                columns: new[] { "run_id", "stage", "reason" });

            migrationBuilder.CreateIndex(
                name: "ux_images_source_key",
                table: "images",
                columns: new[] { "source", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_models_sha256",
                table: "models",
                column: "sha256",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_predictions_image_id",
                table: "predictions",
                column: "image_id");

            migrationBuilder.CreateIndex(
                name: "ix_runs_created_at",
                table: "runs",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_runs_model_id",
                table: "runs",
                column: "model_id");

            migrationBuilder.CreateIndex(
                name: "ix_runs_name_created_at",
                table: "runs",
                columns: new[] { "name", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_runs_status",
                table: "runs",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_shards_run_id_status",
                table: "shards",
                columns: new[] { "run_id", "status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "failures");

            migrationBuilder.DropTable(
                name: "predictions");

            migrationBuilder.DropTable(
                name: "shards");

            migrationBuilder.DropTable(
                name: "images");

            migrationBuilder.DropTable(
                name: "runs");

            migrationBuilder.DropTable(
                name: "models");
        }
    }
}

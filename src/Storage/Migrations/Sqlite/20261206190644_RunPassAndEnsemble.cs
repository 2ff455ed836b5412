using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RunPassAndEnsemble : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ensemble",
                table: "runs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "pass_id",
                table: "runs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_runs_pass_id",
                table: "runs",
                column: "pass_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_runs_pass_id",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "ensemble",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "pass_id",
                table: "runs");
        }
    }
}

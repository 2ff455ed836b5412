using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ShardPublishedAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "published_at",
                table: "shards",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "published_at",
                table: "shards");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EfficientNet.Batch.Storage.Migrations.Sqlite
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
                type: "TEXT",
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

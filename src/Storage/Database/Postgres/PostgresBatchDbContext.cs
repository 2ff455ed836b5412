using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.Storage.Database.Postgres;

/// <summary>
/// The distributed-mode schema on PostgreSQL; its migrations live in Migrations/Postgres. Arrays are native
/// (integer[], bigint[], real[]) and timestamps timestamptz, both Npgsql's defaults, so no conversions are needed.
/// </summary>
public sealed class PostgresBatchDbContext : BatchDbContext
{
    public PostgresBatchDbContext(DbContextOptions<PostgresBatchDbContext> options)
        : base(options)
    {
    }
}

using System.CommandLine;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>Options that several commands share, defined once so they read the same everywhere.</summary>
public static class CommonOptions
{
    public const string DefaultDatabase = "efficientnet-batch.db";

    public static Option<string> Database() => new("--db")
    {
        Description = $"SQLite file that holds runs and results (embedded mode). Default: ./{DefaultDatabase}",
        DefaultValueFactory = _ => DefaultDatabase,
    };

    public static Option<string?> Postgres() => new("--postgres")
    {
        Description = "PostgreSQL connection string (Npgsql form). Without it: the --db file when given, else ConnectionStrings__Postgres from the environment, else ./" + DefaultDatabase + ".",
    };

    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Log pipeline events (model load, execution provider, shards) to stderr.",
    };

    public static Option<string> Run() => new("--run")
    {
        Description = "A run's id, its name (the newest run with that name) or 'latest'.",
        DefaultValueFactory = _ => "latest",
    };
}

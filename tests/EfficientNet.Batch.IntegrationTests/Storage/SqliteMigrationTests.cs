using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database.Sqlite;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public sealed class SqliteMigrationTests
{
    [Fact]
    public async Task Migrations_create_every_table_in_an_empty_file()
    {
        await using var database = await EmbeddedDatabase.CreateAsync();

        await using var connection = await database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EF%' ORDER BY name";
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["failures", "images", "models", "predictions", "pseudo_label_classes", "pseudo_label_sets", "pseudo_labels", "runs", "shards"], tables);
        await using var context = database.Context();
        Assert.Empty(await context.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task The_file_uses_write_ahead_logging_so_a_poller_never_blocks_the_writer()
    {
        await using var database = await EmbeddedDatabase.CreateAsync();

        Assert.Equal("wal", await database.ScalarAsync("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Migrating_an_up_to_date_file_again_changes_nothing()
    {
        await using var database = await EmbeddedDatabase.CreateAsync();
        var run = await database.StartRunAsync();

        await database.Runs.MigrateAsync(CancellationToken.None);

        Assert.NotNull(await database.Runs.FindRunAsync(run.Id.ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task Migrating_creates_the_folder_of_the_database_file()
    {
        using var folder = new TempDirectory("enb-storage");
        var path = Path.Combine(folder.Path, "nested", "deeper", "enb.db");
        await using (var services = new ServiceCollection().AddEmbeddedStorage(path).BuildServiceProvider())
        {
            await services.GetRequiredService<IRunStore>().MigrateAsync(CancellationToken.None);
            using var connection = new SqliteConnection(services.GetRequiredService<SqliteDatabase>().ConnectionString);
            SqliteConnection.ClearPool(connection);
        }

        Assert.True(File.Exists(path));
    }

    [Fact]
    public void An_empty_database_path_is_refused_with_a_readable_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddEmbeddedStorage(" "));

        Assert.Contains("SQLite database path", error.Message, StringComparison.Ordinal);
    }
}

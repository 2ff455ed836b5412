using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.IntegrationTests.EndToEnd;

/// <summary>The CLI reads its connection strings like the services do: ENB_CONFIG_FILE, then the environment.</summary>
public sealed class ConfigFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("enb-config-").FullName;

    [Fact]
    public async Task Enb_takes_the_postgres_connection_string_from_the_file_named_by_ENB_CONFIG_FILE()
    {
        var file = Path.Combine(_folder, "settings.json");
        await File.WriteAllTextAsync(file, """
            { "ConnectionStrings": { "Postgres": "Host=127.0.0.1;Port=1;Database=from_config_file;Username=enb;Password=not-to-be-printed" } }
            """);

        var (exitCode, output) = await ChildProcess.RunAsync(
            "enb",
            new Dictionary<string, string> { ["ENB_CONFIG_FILE"] = file, ["ConnectionStrings__Postgres"] = null! },
            TimeSpan.FromSeconds(60),
            "runs");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("postgres://127.0.0.1:1/from_config_file", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-to-be-printed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_settings_file_is_named()
    {
        var missing = Path.Combine(_folder, "absent.json");

        var (exitCode, output) = await ChildProcess.RunAsync(
            "enb", new Dictionary<string, string> { ["ENB_CONFIG_FILE"] = missing }, TimeSpan.FromSeconds(60), "runs");

        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains($"configuration file not found: {missing}", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

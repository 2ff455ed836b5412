using EfficientNet.Batch.Hosting;
using Microsoft.Extensions.Configuration;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>
/// The settings a command reads before it starts a host (its connection strings), from the same sources as the
/// services: the JSON file named by ENB_CONFIG_FILE, then environment variables, which win.
/// </summary>
public static class CliConfiguration
{
    public static IConfiguration Build()
    {
        var builder = new ConfigurationBuilder().AddEnvironmentVariables();
        if (builder.Build()[ConfigFileExtensions.ConfigFileVariable] is { Length: > 0 } configFile)
        {
            if (!File.Exists(configFile))
            {
                throw new CliException($"configuration file not found: {configFile} (named by {ConfigFileExtensions.ConfigFileVariable})");
            }

            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false).AddEnvironmentVariables();
        }

        return builder.Build();
    }

    /// <summary>ConnectionStrings:<paramref name="name"/> (ConnectionStrings__<paramref name="name"/> in the environment); null when unset or blank.</summary>
    public static string? ConnectionString(string name) =>
        Build().GetConnectionString(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}

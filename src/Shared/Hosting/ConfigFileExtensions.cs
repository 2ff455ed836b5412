using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Hosting;

public static class ConfigFileExtensions
{
    /// <summary>The environment variable that names the JSON settings file.</summary>
    public const string ConfigFileVariable = "ENB_CONFIG_FILE";

    /// <summary>
    /// Adds the JSON settings file named by ENB_CONFIG_FILE (the chart mounts its ConfigMap there); a named file that
    /// is missing stops the start.
    /// </summary>
    public static IHostApplicationBuilder AddConfigFile(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration[ConfigFileVariable] is { Length: > 0 } configFile)
        {
            builder.Configuration.AddJsonFile(configFile, optional: false, reloadOnChange: false);

            // Environment variables still win over the file, as they win over appsettings.json.
            builder.Configuration.AddEnvironmentVariables();
        }

        return builder;
    }
}

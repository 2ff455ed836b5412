using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace EfficientNet.Batch.Hosting;

/// <summary>Serilog for every process of the system, configured from the "Serilog" section.</summary>
public static class LoggingExtensions
{
    /// <summary>
    /// Console logging (human-readable, or compact JSON when Logging:Format is json or Logging:Json is true), to stderr
    /// so that command output on stdout stays clean, with secrets redacted from every message and property. Scopes
    /// (RunId, ShardId of the shard consumer) become properties of every event logged inside them.
    /// </summary>
    public static IHostApplicationBuilder AddBatchLogging(this IHostApplicationBuilder builder, LogEventLevel defaultLevel = LogEventLevel.Information)
    {
        var json = IsJson(builder.Configuration);
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.MinimumLevel.Is(defaultLevel)
                .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
                // Services say "Now listening on ..." (operators and tests look for it); quiet CLI commands do not.
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", defaultLevel <= LogEventLevel.Information ? LogEventLevel.Information : defaultLevel)
                // Failures of commands and of start-up are reported by our code in one line with the reason;
                // EF Core's and the host's own copies (SQL text, stack traces) would only bury it.
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Database.Command", LogEventLevel.Fatal)
                .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext()
                .Enrich.With<SecretRedactingEnricher>();
            if (json)
            {
                logger.WriteTo.Console(new CompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Verbose);
            }
            else
            {
                logger.WriteTo.Console(
                    outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                    standardErrorFromLevel: LogEventLevel.Verbose);
            }
        });
        return builder;
    }

    private static bool IsJson(IConfiguration configuration) => configuration["Logging:Format"]?.ToLowerInvariant() switch
    {
        null or "" => configuration.GetValue("Logging:Json", false),
        "json" => true,
        "text" => false,
        var other => throw new InvalidOperationException($"Logging:Format must be 'text' or 'json', not '{other}'"),
    };
}

using System.Text.Json;
using EfficientNet.Batch.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.UnitTests.Hosting;

/// <summary>The console logging every process uses, read back from stderr (the sink writes to Console.Error).</summary>
[Collection(ConsoleCapture.Name)]
public sealed class LoggingTests
{
    [Fact]
    public void Json_format_writes_one_compact_event_per_line_with_run_and_shard_from_the_scope_and_no_secret()
    {
        var lines = Capture("json", logger =>
        {
            using (logger.BeginScope(new Dictionary<string, object> { ["RunId"] = "run-7", ["ShardId"] = 42L }))
            {
                logger.LogWarning("Cannot reach {Database}", "Host=db;Username=enb;Password=hunter2");
            }
        });

        var line = Assert.Single(lines, l => l.Contains("Cannot reach", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("run-7", json.RootElement.GetProperty("RunId").GetString());
        Assert.Equal(42, json.RootElement.GetProperty("ShardId").GetInt64());
        Assert.Equal("Host=db;Username=enb;Password=***", json.RootElement.GetProperty("Database").GetString());
        Assert.DoesNotContain(lines, l => l.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_format_is_human_readable_and_redacted()
    {
        var lines = Capture("text", logger => logger.LogWarning("Broker {Broker} is down", "amqp://enb:s3cret@mq:5672/"));

        var line = Assert.Single(lines, l => l.Contains("is down", StringComparison.Ordinal));
        Assert.Matches(@"^\[\d\d:\d\d:\d\d WRN\] Broker amqp://enb:\*\*\*@mq:5672/ is down$", line);
    }

    [Fact]
    public void An_unknown_format_stops_the_start_naming_the_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Capture("xml", _ => { }));
        Assert.Contains("Logging:Format", error.Message, StringComparison.Ordinal);
    }

    private static List<string> Capture(string format, Action<ILogger> log)
    {
        var original = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration["Logging:Format"] = format;
            builder.AddBatchLogging();
            using (var host = builder.Build())
            {
                log(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("test"));
            }

            return captured.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).ToList();
        }
        finally
        {
            Console.SetError(original);
        }
    }
}

/// <summary>Tests that swap Console.Error run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCapture
{
    public const string Name = "console";
}

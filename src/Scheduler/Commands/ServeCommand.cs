using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Dashboard;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Scheduler.Service;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>serve</c>: the scheduler service. Over PostgreSQL (distributed mode) it ends runs (completion, error budget),
/// re-publishes shards whose lease expired and stops runs whose shards fault; over an embedded SQLite file
/// (<c>--db FILE</c>) it only watches, since the <c>label</c> process runs and ends its own run. Both serve the
/// dashboard, its JSON API (runs and pseudo-label sets), /metrics and the health endpoints.
/// </summary>
public sealed class ServeCommand
{
    private readonly Option<string> _urls = new("--urls") { Description = "Where to listen (';'-separated). Beyond loopback, Dashboard__ApiKey is required.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _indexDir = new("--index-dir") { Description = "Where runs' index files are (<run name>.usearch, as 'index build' writes them); runs without one are searched exactly.", DefaultValueFactory = _ => EmbeddingOptions.DefaultIndexFolder };

    public ServeCommand()
    {
        Command = new Command("serve", "Run the scheduler service and its dashboard (distributed mode, or watching an embedded --db FILE).") { _urls, _database, _postgres, _indexDir };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        if (database.IsPostgres)
        {
            DistributedOptions.RequireRabbitMq();
        }
        else if (!File.Exists(database.SqlitePath))
        {
            throw new CliException($"database not found: {database.SqlitePath} (run 'label' first, or pass --db or --postgres)");
        }

        var urls = parse.GetValue(_urls)!;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(urls);
        if (database.IsPostgres)
        {
            SchedulerHost.Configure(builder, database, LogEventLevel.Information, bus => bus.AddConsumer<ShardFaultConsumer>());
            AddSchedulerLoops(builder);
        }
        else
        {
            builder.AddConfigFile();
            builder.AddBatchLogging(LogEventLevel.Information);
            database.AddTo(builder.Services);
            SchedulerHost.AddImageStores(builder);
        }

        builder.Services.AddSingleton(new IndexCatalog(Path.GetFullPath(parse.GetValue(_indexDir)!)));
        AddDashboard(builder, urls);
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        var app = builder.Build();
        await StorageScope.MigrateAsync(app.Services.GetRequiredService<IRunStore>(), database, cancellationToken);
        var site = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "dashboard"));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = site });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = site });
        app.MapHealthEndpoints();
        app.MapRunsApi();
        app.MapPseudoLabelSetsApi();
        app.MapEmbeddingsApi();
        await app.RunAsync(cancellationToken);
        return ExitCodes.Success;
    }

    private static void AddSchedulerLoops(WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SchedulerServiceOptions>().BindConfiguration(SchedulerServiceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ShardSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ShardSweeper>());
        builder.Services.AddHostedService<RunCompletionService>();
        builder.Services.AddHostedService<QueueDepthMonitor>();
    }

    private static void AddDashboard(WebApplicationBuilder builder, string urls)
    {
        var access = DashboardAccess.For(urls);
        var apiKey = builder.Configuration[$"{DashboardOptions.SectionName}:{nameof(DashboardOptions.ApiKey)}"];
        if (access.ReadsRequireKey && string.IsNullOrEmpty(apiKey))
        {
            throw new CliException($"--urls {urls} listens beyond loopback: set Dashboard__ApiKey (the API then asks for it in the {ApiKeyFilter.HeaderName} header), or listen on 127.0.0.1");
        }

        builder.Services.AddSingleton(access);
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RunActions>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
    }
}

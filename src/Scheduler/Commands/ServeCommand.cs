using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Scheduler.Faults;
using EfficientNet.Batch.Scheduler.Service;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>serve</c>: the scheduler service of distributed mode: ends runs (completion, error budget), re-publishes shards
/// whose lease expired, stops runs whose shards fault, and serves the JSON API and health endpoints.
/// </summary>
public sealed class ServeCommand
{
    private readonly Option<string> _urls = new("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();

    public ServeCommand()
    {
        Command = new Command("serve", "Run the scheduler service (distributed mode).") { _urls, _database, _postgres };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        DistributedOptions.RequirePostgres(database);
        DistributedOptions.RequireRabbitMq();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(parse.GetValue(_urls)!);
        SchedulerHost.Configure(builder, database, LogEventLevel.Information, bus => bus.AddConsumer<ShardFaultConsumer>());
        builder.Services.AddOptions<SchedulerServiceOptions>().BindConfiguration(SchedulerServiceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ShardSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ShardSweeper>());
        builder.Services.AddHostedService<RunCompletionService>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        var app = builder.Build();
        await StorageScope.MigrateAsync(app.Services.GetRequiredService<IRunStore>(), database, cancellationToken);
        app.MapHealthEndpoints();
        app.MapRunsApi();
        await app.RunAsync(cancellationToken);
        return ExitCodes.Success;
    }
}

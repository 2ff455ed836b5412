using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Worker.Hosting;

/// <summary>
/// Fails the worker's start, with the reason, when the job database cannot be reached: a worker that takes shards it
/// cannot record would only bounce them between retries.
/// </summary>
public sealed class DatabaseStartupCheck(IRunQueries runs, DatabaseDescription database) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await runs.ListActiveRunsAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"cannot reach the job database {database}: {SecretRedactor.Redact(e.GetBaseException().Message)}", e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The job database for messages: host, port and name, never credentials.</summary>
public sealed record DatabaseDescription(string Text)
{
    public override string ToString() => Text;
}

using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EfficientNet.Batch.Worker.Hosting;

/// <summary>Readiness: the job database answers a cheap indexed query.</summary>
public sealed class DatabaseHealthCheck(IRunStore runs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await runs.ListActiveRunsAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"database unreachable: {SecretRedactor.Redact(e.Message)}");
        }
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EfficientNet.Batch.Hosting;

/// <summary>Readiness of the worker and the scheduler service: the job database answers <see cref="IDatabaseProbe"/>.</summary>
public sealed class DatabaseHealthCheck(IDatabaseProbe database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await database.ProbeAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"database unreachable: {SecretRedactor.Redact(e.Message)}");
        }
    }
}

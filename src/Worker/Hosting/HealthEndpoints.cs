using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace EfficientNet.Batch.Worker.Hosting;

/// <summary>
/// Kubernetes probes: /health/live (the process answers) and /health/ready (checks tagged "ready": broker, database);
/// Prometheus metrics on /metrics.
/// </summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        endpoints.MapMetrics();
        return endpoints;
    }
}

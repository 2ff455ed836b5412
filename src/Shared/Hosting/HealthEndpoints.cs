using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace EfficientNet.Batch.Hosting;

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
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),

            // ASP.NET answers 200 for Degraded (MassTransit's state while the broker is gone): Kubernetes would keep a
            // disconnected pod ready. Only Healthy is ready (seen in the RabbitMQ-restart fault test).
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        endpoints.MapMetrics();
        return endpoints;
    }
}

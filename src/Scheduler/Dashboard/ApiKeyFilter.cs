using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Scheduler.Dashboard;

/// <summary>
/// Guards the API: actions (anything but GET) must carry Dashboard:ApiKey in the X-Api-Key header, and so must reads
/// when the service listens beyond loopback (<see cref="DashboardAccess"/>; docs/operations.md).
/// </summary>
public sealed class ApiKeyFilter(IOptions<DashboardOptions> options, DashboardAccess access) : IEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (HttpMethods.IsGet(context.HttpContext.Request.Method) && !access.ReadsRequireKey)
        {
            return await next(context);
        }

        if (options.Value.ApiKey is not { Length: > 0 } expected)
        {
            return TypedResults.Json(
                new { error = $"actions are disabled: set {DashboardOptions.SectionName}:{nameof(DashboardOptions.ApiKey)} (env Dashboard__ApiKey) on the scheduler" },
                statusCode: StatusCodes.Status403Forbidden);
        }

        // Hashes first: equal lengths, so the comparison's time tells nothing about the key's length either.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers[HeaderName].ToString()));
        if (!CryptographicOperations.FixedTimeEquals(given, SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
        {
            return TypedResults.Json(new { error = $"missing or wrong {HeaderName} header" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }
}

using EfficientNet.Batch.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>The read-only JSON API: /api/runs and /api/runs/{id|name|latest} with progress.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapGet("/runs", async (IRunStore runs, CancellationToken ct) => TypedResults.Ok(await runs.ListRunsAsync(ct)));
        api.MapGet("/runs/{run}", GetRunAsync);
        return endpoints;
    }

    private static async Task<IResult> GetRunAsync(string run, IRunStore runs, CancellationToken ct) =>
        await runs.FindRunAsync(run, ct) is { } info
            ? TypedResults.Ok(new { run = info, progress = await runs.GetProgressAsync(info.Id, ct) })
            : TypedResults.NotFound(new { error = $"no run matches '{run}'" });
}

using EfficientNet.Batch.Scheduler.Dashboard;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// The JSON API behind the dashboard. Reads: /api/runs (newest first, with progress, rate and ETA),
/// /api/runs/{id|name|latest} and /api/runs/{run}/insights. Actions: POST /api/runs/{run}/cancel and
/// /api/runs/{run}/retry-failed. Who needs the X-Api-Key header: <see cref="ApiKeyFilter"/>.
/// </summary>
public static class RunsApi
{
    /// <summary>The runs list shows the newest runs only: each row costs a few indexed counts.</summary>
    private const int RunsListed = 50;

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>();
        api.MapGet("/runs", ListRunsAsync);
        api.MapGet("/runs/{run}", GetRunAsync);
        api.MapGet("/runs/{run}/insights", GetInsightsAsync);
        api.MapPost("/runs/{run}/cancel", (string run, IRunQueries runs, RunActions act, CancellationToken ct) => ActAsync(run, runs, (info, token) => act.CancelAsync(info, "cancelled from the dashboard", token), ct));
        api.MapPost("/runs/{run}/retry-failed", (string run, IRunQueries runs, RunActions act, CancellationToken ct) => ActAsync(run, runs, act.RetryFailedAsync, ct));
        return endpoints;
    }

    private static async Task<IResult> ListRunsAsync(IRunQueries runs, TimeProvider time, CancellationToken ct)
    {
        var rows = new List<RunOverview>();
        foreach (var run in (await runs.ListRunsAsync(ct)).Take(RunsListed))
        {
            rows.Add(RunOverview.From(run, await runs.GetProgressAsync(run.Id, ct), time.GetUtcNow()));
        }

        return TypedResults.Ok(rows);
    }

    private static async Task<IResult> GetRunAsync(string run, IRunQueries runs, TimeProvider time, CancellationToken ct) =>
        await runs.FindRunAsync(run, ct) is { } info
            ? TypedResults.Ok(RunOverview.From(info, await runs.GetProgressAsync(info.Id, ct), time.GetUtcNow()))
            : NotFound(run);

    private static async Task<IResult> GetInsightsAsync(string run, IRunQueries runs, IRunInsightsReader insights, CancellationToken ct)
    {
        if (await runs.FindRunAsync(run, ct) is not { } info)
        {
            return NotFound(run);
        }

        var model = await runs.GetModelAsync(info.ModelId, ct);
        return TypedResults.Ok(await insights.ReadAsync(info.Id, model?.Labels, ct));
    }

    private static async Task<IResult> ActAsync(
        string run, IRunQueries runs, Func<RunInfo, CancellationToken, Task<ActionResult>> action, CancellationToken ct)
    {
        if (await runs.FindRunAsync(run, ct) is not { } info)
        {
            return NotFound(run);
        }

        var result = await action(info, ct);
        return result.Succeeded
            ? TypedResults.Ok(new { message = result.Message })
            : TypedResults.Conflict(new { error = result.Message });
    }

    private static NotFound<ErrorBody> NotFound(string run) => TypedResults.NotFound(new ErrorBody($"no run matches '{run}'"));

    public sealed record ErrorBody(string Error);
}

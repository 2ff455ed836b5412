using EfficientNet.Batch.Scheduler.Dashboard;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// Read-only JSON API over the pseudo-label sets, so thresholds are chosen by looking at their distributions:
/// /api/pseudo-label-sets (every set with lineage, parameters and totals, newest first) and
/// /api/pseudo-label-sets/{name|id} (one set with its per-class thresholds and counts). Same access rules as the
/// runs API (<see cref="ApiKeyFilter"/>).
/// </summary>
public static class PseudoLabelSetsApi
{
    public static IEndpointRouteBuilder MapPseudoLabelSetsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/pseudo-label-sets").AddEndpointFilter<ApiKeyFilter>();
        api.MapGet("", async (IPseudoLabelStore store, CancellationToken ct) => TypedResults.Ok(await store.ListSetsAsync(ct)));
        api.MapGet("/{set}", GetSetAsync);
        return endpoints;
    }

    private static async Task<IResult> GetSetAsync(string set, IPseudoLabelStore store, IRunQueries runs, CancellationToken ct)
    {
        if (await store.FindSetAsync(set, ct) is not { } info)
        {
            return TypedResults.NotFound(new RunsApi.ErrorBody($"no pseudo-label set matches '{set}'"));
        }

        var labels = (await runs.GetModelAsync(info.TeacherModelId, ct))?.Labels;
        var classes = (await store.GetClassesAsync(info.Id, ct))
            .Select(c => new ClassRow(c.ClassIndex, labels is not null && c.ClassIndex < labels.Count ? labels[c.ClassIndex] : null, c.Threshold, c.Candidates, c.Selected, c.Samples))
            .ToList();
        return TypedResults.Ok(new SetDetail(info, classes));
    }

    /// <summary>One set and its classes by class index.</summary>
    public sealed record SetDetail(PseudoLabelSetInfo Set, IReadOnlyList<ClassRow> Classes);

    /// <summary>
    /// One class: the confidence its threshold stopped at, the images that reached it (candidates), those kept
    /// (selected) and the training samples they became (with copies); the name when the teacher model has labels.
    /// </summary>
    public sealed record ClassRow(int ClassIndex, string? ClassName, double Threshold, long Candidates, long Selected, long Samples);
}

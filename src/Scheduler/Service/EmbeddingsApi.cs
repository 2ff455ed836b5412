using System.Globalization;
using EfficientNet.Batch.Scheduler.Dashboard;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Storage.Embeddings;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// The embedding reads of the JSON API, under the same access rules as the rest of /api (<see cref="ApiKeyFilter"/>):
/// GET /api/runs/{run}/similar?key=KEY&amp;k=10, GET /api/runs/{run}/near-duplicates?threshold=0.95&amp;groups=20, and
/// GET /api/runs/{run}/thumbnail?key=KEY&amp;size=128 (a JPEG preview of one of the run's images).
/// </summary>
public static class EmbeddingsApi
{
    private const int MaxGroupsShown = 100;

    public static IEndpointRouteBuilder MapEmbeddingsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/runs/{run}").AddEndpointFilter<ApiKeyFilter>();
        api.MapGet("/similar", SimilarAsync);
        api.MapGet("/near-duplicates", NearDuplicatesAsync);
        api.MapGet("/thumbnail", ThumbnailAsync);
        return endpoints;
    }

    private static async Task<IResult> SimilarAsync(
        string run, string? key, int? k, IRunQueries runs, IEmbeddingReader reader, IndexCatalog catalog, CancellationToken ct)
    {
        var count = k ?? SimilarImages.DefaultK;
        if (string.IsNullOrEmpty(key) || count is < 1 or > 100)
        {
            return TypedResults.BadRequest(new RunsApi.ErrorBody("give key=<image key> and k between 1 and 100"));
        }

        return await WithRunAsync(run, runs, reader, async (embeddings, source) =>
        {
            var stored = await reader.FindAsync(source.Run.Id, key, ct);
            if (stored is null)
            {
                return TypedResults.NotFound(new RunsApi.ErrorBody($"run {source.Run.Name} has no embedding for key '{key}'"));
            }

            var index = catalog.Find(source);
            var found = await SimilarImages.FindAsync(embeddings, source, index, stored.Vector, count, stored.ImageId, ct);
            return TypedResults.Ok(new { run = source.Run.Name, key, search = index is null ? "exact" : "index", neighbours = found });
        }, ct);
    }

    private static async Task<IResult> NearDuplicatesAsync(
        string run, double? threshold, int? groups, IRunQueries runs, IEmbeddingReader reader, IndexCatalog catalog, CancellationToken ct)
    {
        var at = threshold ?? NearDuplicates.DefaultThreshold;
        var shown = Math.Clamp(groups ?? 20, 0, MaxGroupsShown);
        if (at is <= 0 or > 1)
        {
            return TypedResults.BadRequest(new RunsApi.ErrorBody($"threshold must be above 0 and at most 1, got {at.ToString(CultureInfo.InvariantCulture)}"));
        }

        return await WithRunAsync(run, runs, reader, async (embeddings, source) =>
        {
            var report = await catalog.NearDuplicatesAsync(embeddings, source, at).WaitAsync(ct);
            var top = report.Groups.Take(shown).ToList();
            var described = await reader.DescribeAsync(source.Run.Id, top.SelectMany(g => g.ImageIds).ToList(), ct);
            return TypedResults.Ok(new
            {
                run = source.Run.Name,
                threshold = at,
                imagesScanned = report.ImagesScanned,
                groups = report.Groups.Count,
                imagesInGroups = report.ImagesInGroups,
                wouldDrop = report.WouldDrop,
                largest = top.Select(g => new { size = g.ImageIds.Count, keys = g.ImageIds.Where(described.ContainsKey).Select(id => described[id].Key) }),
            });
        }, ct);
    }

    private static async Task<IResult> ThumbnailAsync(
        string run, string? key, int? size, IRunQueries runs, IEmbeddingReader reader, IImageStoreFactory stores, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key))
        {
            return TypedResults.BadRequest(new RunsApi.ErrorBody("give key=<image key>"));
        }

        if (await runs.FindRunAsync(run, ct) is not { } info)
        {
            return TypedResults.NotFound(new RunsApi.ErrorBody($"no run matches '{run}'"));
        }

        // Only images the run labeled: the key is looked up in the database, never used as a path on its own.
        if (await reader.FindAsync(info.Id, key, ct) is null)
        {
            return TypedResults.NotFound(new RunsApi.ErrorBody($"run {info.Name} has no image '{key}' with an embedding"));
        }

        byte[] encoded;
        try
        {
            encoded = await stores.Create(info.Source).ReadAsync(key, ct);
        }
        catch (Exception e) when (e is ImageFetchException or DirectoryNotFoundException or NotSupportedException or InvalidOperationException or FormatException)
        {
            return TypedResults.NotFound(new RunsApi.ErrorBody($"image '{key}' cannot be read: {e.Message}"));
        }

        var jpeg = await ThumbnailRenderer.RenderAsync(encoded, size ?? 128, ct);
        return jpeg is null
            ? TypedResults.UnprocessableEntity(new RunsApi.ErrorBody($"image '{key}' has no thumbnail (not readable by libvips within the limits)"))
            : TypedResults.File(jpeg, "image/jpeg");
    }

    private static async Task<IResult> WithRunAsync(
        string run, IRunQueries runs, IEmbeddingReader reader, Func<RunEmbeddings, IndexableRun, Task<IResult>> answer, CancellationToken ct)
    {
        if (await runs.FindRunAsync(run, ct) is not { } info)
        {
            return TypedResults.NotFound(new RunsApi.ErrorBody($"no run matches '{run}'"));
        }

        var embeddings = new RunEmbeddings(runs, reader);
        try
        {
            return await answer(embeddings, await embeddings.RequireAsync(info, ct));
        }
        catch (Exception e) when (e is EmbeddingsUnavailableException or IndexMismatchException)
        {
            return TypedResults.Conflict(new RunsApi.ErrorBody(e.Message));
        }
    }
}

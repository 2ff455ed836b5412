using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using EfficientNet.Batch.Worker.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Scheduler.Planning;

/// <summary>
/// Creates runs and cuts their source into shards: keys are streamed from the source, written to the database one
/// shard at a time, and each shard is published as soon as it is committed, so workers start while planning goes on
/// and memory does not grow with the corpus.
/// </summary>
public sealed class RunPlanner(IRunStore runs, IPublishEndpoint publisher, ILogger<RunPlanner> logger)
{
    public async Task<PlannedRun> CreateAsync(RunRequest request, CancellationToken cancellationToken)
    {
        var modelPath = Path.GetFullPath(request.ModelPath);
        var specPath = ModelSpecFile.SpecPathFor(modelPath);
        var spec = ModelSpecFile.Load(specPath);
        var sha256 = await ModelFiles.Sha256Async(modelPath, cancellationToken);
        var labels = ModelSpecFile.LoadLabels(spec, specPath);
        var modelId = await runs.EnsureModelAsync(spec.Name, modelPath, sha256, File.ReadAllText(specPath), labels, cancellationToken);
        var run = await runs.CreateRunAsync(
            new NewRun(request.Name, request.Kind, modelId, request.SourceLocation, request.TopK, request.StoreEmbeddings, request.ErrorBudget, request.ShardSize),
            cancellationToken);
        return new PlannedRun(
            run,
            new ModelReference(modelId, modelPath, sha256),
            new ShardOptions(request.SourceLocation, request.TopK, request.StoreEmbeddings),
            request.ShardSize);
    }

    public async Task<PlanSummary> PlanAsync(PlannedRun planned, IImageSource source, CancellationToken cancellationToken)
    {
        var runId = planned.Run.Id;
        await runs.SetRunStatusAsync(runId, RunStatus.Running, null, cancellationToken);
        var keys = new List<string>(planned.ShardSize);
        var (images, shards) = (0L, 0);
        await foreach (var key in source.EnumerateKeysAsync(cancellationToken))
        {
            keys.Add(key);
            if (keys.Count == planned.ShardSize)
            {
                await PublishShardAsync(planned, source, keys, cancellationToken);
                (images, shards) = (images + keys.Count, shards + 1);
                keys.Clear();
            }
        }

        if (keys.Count > 0)
        {
            await PublishShardAsync(planned, source, keys, cancellationToken);
            (images, shards) = (images + keys.Count, shards + 1);
        }

        logger.LogInformation("Run {RunId} planned: {Images} images in {Shards} shards", runId, images, shards);
        return new PlanSummary(images, shards);
    }

    private async Task PublishShardAsync(PlannedRun planned, IImageSource source, List<string> keys, CancellationToken cancellationToken)
    {
        var shard = await runs.AddShardAsync(planned.Run.Id, source.Location, keys, cancellationToken);
        await publisher.Publish(
            new ProcessShard
            {
                RunId = planned.Run.Id,
                ShardId = shard.ShardId,
                Items = shard.Items,
                Model = planned.Model,
                Options = planned.Options,
            },
            cancellationToken);
    }
}

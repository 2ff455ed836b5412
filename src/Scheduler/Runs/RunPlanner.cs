using System.Runtime.CompilerServices;
using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Creates runs and cuts their source into shards: keys are streamed from the source, written to the database one
/// shard at a time, and each shard is published as soon as it is committed, so workers start while planning goes on
/// and memory does not grow with the corpus.
/// </summary>
public sealed class RunPlanner(IRunPlanStore runs, IPublishEndpoint publisher, ILogger<RunPlanner> logger)
{
    /// <summary>
    /// Registers the model and creates the run. <paramref name="localModelPath"/> is a readable copy of the model
    /// (with its spec beside it); <see cref="RunRequest.ModelPath"/> is the URI workers load it from.
    /// </summary>
    public async Task<PlannedRun> CreateAsync(RunRequest request, string localModelPath, CancellationToken cancellationToken)
    {
        var specPath = ModelSpecFile.SpecPathFor(localModelPath);
        var spec = ModelSpecFile.Load(specPath);
        var sha256 = await ModelFiles.Sha256Async(localModelPath, cancellationToken);
        var labels = ModelSpecFile.LoadLabels(spec, specPath);
        var modelPath = request.ModelPath;
        var modelId = await runs.EnsureModelAsync(spec.Name, modelPath, sha256, File.ReadAllText(specPath), labels, cancellationToken);
        var run = await runs.CreateRunAsync(
            new NewRun(
                request.Name, request.Kind, modelId, request.SourceLocation, request.TopK, request.StoreEmbeddings, request.ErrorBudget,
                request.ShardSize, request.StoreFullDistribution, request.SourceSetId),
            cancellationToken);
        return new PlannedRun(
            run,
            new ModelReference(modelId, modelPath, sha256),
            new ShardOptions(request.SourceLocation, request.TopK, request.StoreEmbeddings, request.StoreFullDistribution),
            request.ShardSize);
    }

    /// <summary>
    /// Streams the source into shards and publishes each one; with <paramref name="onlyNew"/>, keys that already have
    /// a prediction from this model (in any run) are left out. Marks planning complete at the end.
    /// </summary>
    public async Task<PlanSummary> PlanAsync(PlannedRun planned, IImageSource source, bool onlyNew, CancellationToken cancellationToken)
    {
        await runs.SetRunStatusAsync(planned.Run.Id, RunStatus.Running, null, cancellationToken);
        return await PlanKeysAsync(planned, source.EnumerateKeysAsync(cancellationToken), source, onlyNew, cancellationToken);
    }

    /// <summary>
    /// Continues a run that stopped before it ended (its process was interrupted or killed): publishes again every
    /// shard that never completed (completed shards are left alone, so each image is processed once), then, if
    /// planning had not finished, goes on listing the source after the last key planned (sources list in a
    /// deterministic order). <paramref name="source"/> is only called in that case.
    /// </summary>
    public async Task<PlanSummary> ResumeAsync(
        PlannedRun planned, Func<CancellationToken, Task<IImageSource>> source, bool onlyNew, bool planningCompleted, CancellationToken cancellationToken)
    {
        var runId = planned.Run.Id;
        await runs.SetRunStatusAsync(runId, RunStatus.Running, null, cancellationToken);
        var (images, shards) = (0L, 0);
        for (var after = 0L; ; )
        {
            var page = await runs.ListUnfinishedShardsAsync(runId, after, limit: 64, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var shard in page)
            {
                await PublishAsync(runId, shard, planned.Model, planned.Options, cancellationToken);
                (images, shards) = (images + shard.Items.Count, shards + 1);
            }

            after = page[^1].ShardId;
        }

        if (planningCompleted)
        {
            return new PlanSummary(images, shards);
        }

        var imageSource = await source(cancellationToken);
        var lastKey = await runs.FindLastPlannedKeyAsync(runId, cancellationToken);
        var rest = await PlanKeysAsync(planned, KeysAfterAsync(imageSource, lastKey, cancellationToken), imageSource, onlyNew, cancellationToken);
        return new PlanSummary(images + rest.Images, shards + rest.Shards, rest.SkippedAlreadyLabeled);
    }

    private static async IAsyncEnumerable<string> KeysAfterAsync(
        IImageSource source, string? lastKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var found = lastKey is null;
        await foreach (var key in source.EnumerateKeysAsync(cancellationToken))
        {
            if (found)
            {
                yield return key;
            }
            else
            {
                found = string.Equals(key, lastKey, StringComparison.Ordinal);
            }
        }

        if (!found)
        {
            throw new InvalidOperationException(
                $"{source.Location} no longer lists '{lastKey}', the last image planned before the run stopped: its listing cannot be continued");
        }
    }

    private async Task<PlanSummary> PlanKeysAsync(
        PlannedRun planned, IAsyncEnumerable<string> keys, IImageSource source, bool onlyNew, CancellationToken cancellationToken)
    {
        var runId = planned.Run.Id;
        var pending = new List<string>(planned.ShardSize);
        var candidates = new List<string>(planned.ShardSize);
        var (images, shards, skipped) = (0L, 0, 0L);

        async Task FlushCandidatesAsync()
        {
            var keep = onlyNew ? await runs.FilterUnlabeledAsync(planned.Model.ModelId, source.Location, candidates, cancellationToken) : candidates;
            skipped += candidates.Count - keep.Count;
            pending.AddRange(keep);
            candidates.Clear();
        }

        async Task PublishPendingAsync(int minimum)
        {
            while (pending.Count >= minimum && pending.Count > 0)
            {
                var take = Math.Min(planned.ShardSize, pending.Count);
                await PublishShardAsync(planned, source, pending.GetRange(0, take), cancellationToken);
                pending.RemoveRange(0, take);
                (images, shards) = (images + take, shards + 1);
            }
        }

        await foreach (var key in keys.WithCancellation(cancellationToken))
        {
            candidates.Add(key);
            if (candidates.Count == planned.ShardSize)
            {
                await FlushCandidatesAsync();
                await PublishPendingAsync(planned.ShardSize);
            }
        }

        await FlushCandidatesAsync();
        await PublishPendingAsync(1);
        await runs.CompletePlanningAsync(runId, cancellationToken);
        SchedulerLog.RunPlanned(logger, runId, images, shards, skipped);
        return new PlanSummary(images, shards, skipped);
    }

    private async Task PublishShardAsync(PlannedRun planned, IImageSource source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var shard = await runs.AddShardAsync(planned.Run.Id, source.Location, keys, cancellationToken);
        await PublishAndMarkAsync(planned.Run.Id, shard, planned.Model, planned.Options, cancellationToken);
    }

    /// <summary>Publishes one shard of a run and records it as published (retry-failed; planning does the same per shard).</summary>
    public async Task PublishAndMarkAsync(Guid runId, PlannedShard shard, ModelReference model, ShardOptions options, CancellationToken cancellationToken)
    {
        await PublishAsync(runId, shard, model, options, cancellationToken);
        await runs.MarkPublishedAsync(runId, [shard.ShardId], cancellationToken);
    }

    /// <summary>Publishes one shard of a run (planning, retry-failed, the sweeper).</summary>
    public Task PublishAsync(Guid runId, PlannedShard shard, ModelReference model, ShardOptions options, CancellationToken cancellationToken) =>
        publisher.Publish(
            new ProcessShard { RunId = runId, ShardId = shard.ShardId, Items = shard.Items, Model = model, Options = options },
            cancellationToken);

    /// <summary>The model reference and shard options of an existing run, to publish more of its shards.</summary>
    public async Task<(ModelReference Model, ShardOptions Options)> DescribeAsync(RunInfo run, CancellationToken cancellationToken)
    {
        var model = await runs.GetModelAsync(run.ModelId, cancellationToken)
            ?? throw new InvalidOperationException($"run {run.Id} names model {run.ModelId}, which does not exist");
        return (new ModelReference(model.Id, model.Uri, model.Sha256), new ShardOptions(run.Source, run.TopK, run.StoreEmbeddings, run.StoreFullDistribution));
    }
}

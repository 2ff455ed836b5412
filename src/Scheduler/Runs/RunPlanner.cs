using System.Runtime.CompilerServices;
using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Worker.Inference;
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
    public async Task<PlannedRun> CreateAsync(RunRequest request, string localModelPath, CancellationToken cancellationToken) =>
        (await CreatePassAsync([new PassModel(request, localModelPath)], cancellationToken))[0];

    /// <summary>
    /// Creates the runs of one pass over one source (<c>--model a --model b</c>), linked by a pass id. Every model's
    /// spec is loaded and the models compared before any run is created, so a bad spec or the same model twice
    /// plans nothing (<see cref="ModelSpecException"/>).
    /// </summary>
    public async Task<IReadOnlyList<PlannedRun>> CreatePassAsync(IReadOnlyList<PassModel> models, CancellationToken cancellationToken)
    {
        var files = new List<ModelFile>();
        foreach (var model in models)
        {
            var file = await ModelFile.ReadAsync(model.LocalModelPath, cancellationToken);
            if (files.FirstOrDefault(f => f.Sha256 == file.Sha256) is { } same)
            {
                throw new ModelSpecException($"the same model is given twice: {model.Request.ModelPath} and {models[files.IndexOf(same)].Request.ModelPath} (sha256 {file.Sha256[..12]}…)");
            }

            files.Add(file);
        }

        var passId = models.Count > 1 ? Guid.CreateVersion7() : (Guid?)null;
        var planned = new List<PlannedRun>();
        for (var m = 0; m < models.Count; m++)
        {
            var request = models[m].Request;
            var modelId = await files[m].RegisterAsync(runs, request.ModelPath, cancellationToken);
            var run = await runs.CreateRunAsync(
                new NewRun(
                    request.Name, request.Kind, modelId, request.SourceLocation, request.TopK, request.StoreEmbeddings, request.ErrorBudget,
                    request.ShardSize, request.StoreFullDistribution, request.SourceSetId, passId),
                cancellationToken);
            planned.Add(new PlannedRun(
                run,
                new ModelReference(modelId, request.ModelPath, files[m].Sha256),
                new ShardOptions(request.SourceLocation, request.TopK, request.StoreEmbeddings, request.StoreFullDistribution),
                request.ShardSize));
        }

        return planned;
    }

    /// <summary>
    /// Creates an ensemble teacher run: every teacher is registered and runs on each image; the run's soft labels are
    /// their combined probabilities (<see cref="EnsembleMethod"/>). The teachers must share one label space: the same
    /// class count and the same label list, checked before anything is created.
    /// </summary>
    public async Task<PlannedRun> CreateEnsembleAsync(
        RunRequest request, string method, IReadOnlyList<PassModel> teachers, CancellationToken cancellationToken)
    {
        var files = new List<ModelFile>();
        foreach (var teacher in teachers)
        {
            files.Add(await ModelFile.ReadAsync(teacher.LocalModelPath, cancellationToken));
        }

        EnsembleCheck.SameLabelSpace(
            teachers.Select(t => t.Request.ModelPath).ToArray(), files, teachers.Select((t, i) => ModelClassCount.Read(t.LocalModelPath, files[i].Spec)).ToArray());
        var references = new List<ModelReference>();
        for (var t = 0; t < teachers.Count; t++)
        {
            var uri = teachers[t].Request.ModelPath;
            references.Add(new ModelReference(await files[t].RegisterAsync(runs, uri, cancellationToken), uri, files[t].Sha256));
        }

        var run = await runs.CreateRunAsync(
            new NewRun(
                request.Name, request.Kind, references[0].ModelId, request.SourceLocation, request.TopK, request.StoreEmbeddings, request.ErrorBudget,
                request.ShardSize, request.StoreFullDistribution, request.SourceSetId, Ensemble: new RunEnsemble(method, references.Select(r => r.ModelId).ToArray())),
            cancellationToken);
        return new PlannedRun(
            run,
            references[0],
            new ShardOptions(request.SourceLocation, request.TopK, request.StoreEmbeddings, request.StoreFullDistribution),
            request.ShardSize,
            new EnsembleTeachers(method, references));
    }

    /// <summary>
    /// Streams the source into shards and publishes each one; with <paramref name="onlyNew"/>, keys that already have
    /// a prediction from this model (in any run) are left out. Marks planning complete at the end.
    /// </summary>
    public Task<PlanSummary> PlanAsync(PlannedRun planned, IImageSource source, bool onlyNew, CancellationToken cancellationToken) =>
        PlanPassAsync([planned], source, onlyNew, cancellationToken);

    /// <summary>
    /// Plans the runs of a pass together: the source is listed once, each run gets its own shards over the same keys,
    /// and one message per shard carries every run's shard, so a worker fetches and decodes each image once for all
    /// of them. <paramref name="onlyNew"/> applies to a single run only (the models of a pass have labeled different images).
    /// </summary>
    public async Task<PlanSummary> PlanPassAsync(IReadOnlyList<PlannedRun> pass, IImageSource source, bool onlyNew, CancellationToken cancellationToken)
    {
        if (onlyNew && pass.Count > 1)
        {
            throw new ArgumentException("--only-new applies to one model at a time", nameof(onlyNew));
        }

        var planned = pass[0];
        foreach (var run in pass)
        {
            await runs.SetRunStatusAsync(run.Run.Id, RunStatus.Running, null, cancellationToken);
        }

        return await PlanKeysAsync(pass, source.EnumerateKeysAsync(cancellationToken), source, onlyNew, cancellationToken);
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
        var shape = new RunShape(planned.Model, planned.Options, planned.Ensemble);
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
                await PublishAsync(runId, shard, shape, cancellationToken);
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
        var rest = await PlanKeysAsync([planned], KeysAfterAsync(imageSource, lastKey, cancellationToken), imageSource, onlyNew, cancellationToken);
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
        IReadOnlyList<PlannedRun> pass, IAsyncEnumerable<string> keys, IImageSource source, bool onlyNew, CancellationToken cancellationToken)
    {
        var planned = pass[0];
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
                await PublishShardAsync(pass, source, pending.GetRange(0, take), cancellationToken);
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
        foreach (var run in pass)
        {
            await runs.CompletePlanningAsync(run.Run.Id, cancellationToken);
            SchedulerLog.RunPlanned(logger, run.Run.Id, images, shards, skipped);
        }

        return new PlanSummary(images, shards, skipped);
    }

    private async Task PublishShardAsync(IReadOnlyList<PlannedRun> pass, IImageSource source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        // The images are the source's, so every run's shard lists the same ids in the same order.
        var shards = new List<PlannedShard>();
        foreach (var run in pass)
        {
            shards.Add(await runs.AddShardAsync(run.Run.Id, source.Location, keys, cancellationToken));
        }

        var lead = pass[0];
        await publisher.Publish(
            new ProcessShard
            {
                RunId = lead.Run.Id, ShardId = shards[0].ShardId, Items = shards[0].Items, Model = lead.Model, Options = lead.Options, Ensemble = lead.Ensemble,
                PassMembers = pass.Skip(1).Select((run, i) => new PassMember(run.Run.Id, shards[i + 1].ShardId, run.Model, run.Options)).ToArray(),
            },
            cancellationToken);
        for (var r = 0; r < pass.Count; r++)
        {
            await runs.MarkPublishedAsync(pass[r].Run.Id, [shards[r].ShardId], cancellationToken);
        }
    }

    /// <summary>Publishes one shard of a run and records it as published (retry-failed; planning does the same per shard).</summary>
    public async Task PublishAndMarkAsync(Guid runId, PlannedShard shard, RunShape shape, CancellationToken cancellationToken)
    {
        await PublishAsync(runId, shard, shape, cancellationToken);
        await runs.MarkPublishedAsync(runId, [shard.ShardId], cancellationToken);
    }

    /// <summary>Publishes one shard of a run, alone (retry-failed, the sweeper): a shard of a pass goes without the pass's other runs.</summary>
    public Task PublishAsync(Guid runId, PlannedShard shard, RunShape shape, CancellationToken cancellationToken) =>
        publisher.Publish(
            new ProcessShard { RunId = runId, ShardId = shard.ShardId, Items = shard.Items, Model = shape.Model, Options = shape.Options, Ensemble = shape.Ensemble },
            cancellationToken);

    /// <summary>The model reference, shard options and ensemble of an existing run, to publish more of its shards.</summary>
    public async Task<RunShape> DescribeAsync(RunInfo run, CancellationToken cancellationToken)
    {
        async Task<ModelReference> ReferenceAsync(long modelId)
        {
            var model = await runs.GetModelAsync(modelId, cancellationToken)
                ?? throw new InvalidOperationException($"run {run.Id} names model {modelId}, which does not exist");
            return new ModelReference(model.Id, model.Uri, model.Sha256);
        }

        EnsembleTeachers? ensemble = null;
        if (run.Ensemble is { } stored)
        {
            var teachers = new List<ModelReference>();
            foreach (var id in stored.ModelIds)
            {
                teachers.Add(await ReferenceAsync(id));
            }

            ensemble = new EnsembleTeachers(stored.Method, teachers);
        }

        return new RunShape(await ReferenceAsync(run.ModelId), new ShardOptions(run.Source, run.TopK, run.StoreEmbeddings, run.StoreFullDistribution), ensemble);
    }
}

/// <summary>What every shard message of a run carries besides its images: the model, the options, and an ensemble teacher's models.</summary>
public sealed record RunShape(ModelReference Model, ShardOptions Options, EnsembleTeachers? Ensemble = null);

/// <summary>One model of a pass: the run it gets, and a readable copy of the model file (its spec beside it).</summary>
public sealed record PassModel(RunRequest Request, string LocalModelPath);

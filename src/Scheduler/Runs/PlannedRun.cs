using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>A run that exists in the database and can be planned: its row, the model reference and options its shards carry (and an ensemble teacher's models).</summary>
public sealed record PlannedRun(RunInfo Run, ModelReference Model, ShardOptions Options, int ShardSize, EnsembleTeachers? Ensemble = null);

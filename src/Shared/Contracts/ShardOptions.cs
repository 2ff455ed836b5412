namespace EfficientNet.Batch.Contracts;

/// <summary>Per-run options that travel with every shard of the run.</summary>
/// <param name="ImageSource">Where image keys resolve: a local folder path (embedded mode) or a store URI.</param>
/// <param name="TopK">How many labels with probabilities to keep per image.</param>
/// <param name="StoreEmbeddings">Whether the pooled embedding is stored per image.</param>
/// <param name="StoreFullDistribution">
/// Whether the whole class distribution is stored per image (teacher passes with --full). Last and optional, so
/// messages published before it existed still deserialize.
/// </param>
public sealed record ShardOptions(string ImageSource, int TopK, bool StoreEmbeddings, bool StoreFullDistribution = false);

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>ORT's cudnn_conv_algo_search values.</summary>
public enum CudnnConvAlgoSearch
{
    /// <summary>Benchmarks every algorithm once per input shape: slowest start, fastest steady state.</summary>
    Exhaustive,

    /// <summary>cuDNN's heuristics, no benchmarking: for models fed many shapes.</summary>
    Heuristic,

    /// <summary>The default algorithm.</summary>
    Default,
}

namespace EfficientNet.Batch.Results;

/// <summary>The pipeline stages an image can fail in, as stored in the failures table.</summary>
public static class FailureStage
{
    public const string Fetch = "fetch";
    public const string Decode = "decode";
    public const string Preprocess = "preprocess";
    public const string Inference = "inference";
}

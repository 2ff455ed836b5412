using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Top-k labels as stored: probabilities descending (ties by class index), so readers can take element 0 as the
/// top-1 label and confidence.
/// </summary>
internal static class TopLabels
{
    public static (int[] Indices, float[] Probabilities) Descending(ImagePrediction prediction)
    {
        var indices = prediction.TopIndices;
        var probabilities = prediction.TopProbabilities;
        if (indices.Length != probabilities.Length)
        {
            throw new ArgumentException(
                $"image {prediction.ImageId} has {indices.Length} label indices but {probabilities.Length} probabilities",
                nameof(prediction));
        }

        if (IsDescending(indices, probabilities))
        {
            return (indices, probabilities);
        }

        var order = Enumerable.Range(0, indices.Length)
            .OrderByDescending(i => probabilities[i])
            .ThenBy(i => indices[i])
            .ToArray();
        return (order.Select(i => indices[i]).ToArray(), order.Select(i => probabilities[i]).ToArray());
    }

    private static bool IsDescending(int[] indices, float[] probabilities)
    {
        for (var i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[i - 1]
                || (probabilities[i] == probabilities[i - 1] && indices[i] < indices[i - 1]))
            {
                return false;
            }
        }

        return true;
    }
}

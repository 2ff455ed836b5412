namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// Soft labels with a temperature: q_i = p_i^(1/T) / sum_j p_j^(1/T). T = 1 keeps the teacher's distribution, T &lt; 1
/// sharpens it, T &gt; 1 flattens it. Exact when the full distribution was stored (teach --full). With only the top-k,
/// the sum runs over those k classes: the result is the top-k renormalised, which drops the mass of the other classes
/// (small for a confident teacher, and smaller still after sharpening with T &lt; 1).
/// </summary>
public static class SoftLabels
{
    /// <summary>The re-sharpened distribution over the given classes (all of them, or the top-k).</summary>
    public static float[] Sharpen(ReadOnlySpan<float> probabilities, double temperature)
    {
        if (double.IsNaN(temperature) || temperature <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be greater than 0");
        }

        var exponent = 1.0 / temperature;
        var result = new float[probabilities.Length];
        if (probabilities.Length == 0)
        {
            return result;
        }

        // In log space relative to the largest log-probability: p^(1/T) under- or overflows for small T otherwise.
        var logs = new double[probabilities.Length];
        var max = double.NegativeInfinity;
        for (var i = 0; i < probabilities.Length; i++)
        {
            logs[i] = probabilities[i] > 0 ? Math.Log(probabilities[i]) * exponent : double.NegativeInfinity;
            max = Math.Max(max, logs[i]);
        }

        if (double.IsNegativeInfinity(max))
        {
            throw new ArgumentException("every probability is zero: nothing to normalise", nameof(probabilities));
        }

        var sum = 0.0;
        for (var i = 0; i < logs.Length; i++)
        {
            sum += logs[i] = Math.Exp(logs[i] - max);
        }

        for (var i = 0; i < logs.Length; i++)
        {
            result[i] = (float)(logs[i] / sum);
        }

        return result;
    }
}

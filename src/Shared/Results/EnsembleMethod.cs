namespace EfficientNet.Batch.Results;

/// <summary>How an ensemble teacher combines its models' class probabilities into one distribution.</summary>
public static class EnsembleMethod
{
    /// <summary>The arithmetic mean of the probabilities.</summary>
    public const string Mean = "mean";

    /// <summary>The geometric mean of the probabilities, renormalised to sum to 1.</summary>
    public const string Geometric = "geometric";

    public static bool IsKnown(string method) => method is Mean or Geometric;

    /// <summary>Combines one image's distributions (all of one length) into <paramref name="destination"/>.</summary>
    public static void Combine(string method, IReadOnlyList<float[]> distributions, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var classes = destination.Length;
        if (distributions.Count == 0 || distributions.Any(d => d.Length != classes))
        {
            throw new ArgumentException($"every distribution must hold {destination.Length} classes", nameof(distributions));
        }

        switch (method)
        {
            case Mean:
                for (var c = 0; c < destination.Length; c++)
                {
                    var sum = 0.0;
                    foreach (var d in distributions)
                    {
                        sum += d[c];
                    }

                    destination[c] = (float)(sum / distributions.Count);
                }

                break;
            case Geometric:
                // Computed in log space; a probability of exactly 0 (a float underflow of softmax) is taken as the
                // smallest positive float so that one model cannot veto a class outright.
                var logs = new double[destination.Length];
                var max = double.NegativeInfinity;
                for (var c = 0; c < destination.Length; c++)
                {
                    var sum = 0.0;
                    foreach (var d in distributions)
                    {
                        sum += Math.Log(Math.Max(d[c], float.Epsilon));
                    }

                    logs[c] = sum / distributions.Count;
                    max = Math.Max(max, logs[c]);
                }

                var total = 0.0;
                for (var c = 0; c < logs.Length; c++)
                {
                    logs[c] = Math.Exp(logs[c] - max);
                    total += logs[c];
                }

                for (var c = 0; c < logs.Length; c++)
                {
                    destination[c] = (float)(logs[c] / total);
                }

                break;
            default:
                throw new ArgumentException($"ensemble method '{method}' is not '{Mean}' or '{Geometric}'", nameof(method));
        }
    }
}

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>Turns one image's class scores into probabilities and its top-k.</summary>
public static class ClassScores
{
    /// <summary>Numerically stable softmax, in place.</summary>
    public static void SoftmaxInPlace(Span<float> scores)
    {
        var max = float.NegativeInfinity;
        foreach (var s in scores)
        {
            max = Math.Max(max, s);
        }

        var sum = 0.0;
        for (var i = 0; i < scores.Length; i++)
        {
            var e = MathF.Exp(scores[i] - max);
            scores[i] = e;
            sum += e;
        }

        var inv = (float)(1.0 / sum);
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] *= inv;
        }
    }

    /// <summary>
    /// The k largest probabilities with their class indices, descending; ties keep the lower index first.
    /// A partial selection (k small, classes ~1000): O(n k) beats sorting the whole distribution.
    /// </summary>
    public static (int[] Indices, float[] Probabilities) TopK(ReadOnlySpan<float> probabilities, int k)
    {
        k = Math.Min(k, probabilities.Length);
        var indices = new int[k];
        var values = new float[k];
        var count = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = probabilities[i];
            if (count == k && p <= values[k - 1])
            {
                continue;
            }

            var pos = count < k ? count++ : k - 1;
            while (pos > 0 && values[pos - 1] < p)
            {
                values[pos] = values[pos - 1];
                indices[pos] = indices[pos - 1];
                pos--;
            }

            values[pos] = p;
            indices[pos] = i;
        }

        return (indices, values);
    }
}

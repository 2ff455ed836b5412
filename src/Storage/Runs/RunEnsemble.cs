using System.Globalization;
using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>
/// An ensemble teacher run's teachers, stored in runs.ensemble as <c>method:modelId,modelId,...</c>; the run's own
/// model is the first of them.
/// </summary>
public sealed record RunEnsemble(string Method, IReadOnlyList<long> ModelIds)
{
    public string Format() => $"{Method}:{string.Join(',', ModelIds.Select(id => id.ToString(CultureInfo.InvariantCulture)))}";

    public static RunEnsemble? Parse(string? stored)
    {
        if (stored is null)
        {
            return null;
        }

        var colon = stored.IndexOf(':', StringComparison.Ordinal);
        var method = colon > 0 ? stored[..colon] : "";
        if (!EnsembleMethod.IsKnown(method))
        {
            throw new FormatException($"runs.ensemble '{stored}' does not start with a known method");
        }

        return new RunEnsemble(method, stored[(colon + 1)..].Split(',').Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToArray());
    }
}

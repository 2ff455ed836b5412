using System.Globalization;
using System.Text.RegularExpressions;

namespace EfficientNet.Batch.IntegrationTests.Metrics;

/// <summary>
/// Parses the Prometheus text exposition format (version 0.0.4) as a scraper reads it: every sample line must be
/// `name{label="value",...} number`, so a malformed line fails the test instead of being skipped.
/// </summary>
public sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public IReadOnlyList<(string Name, Dictionary<string, string> Labels, double Value)> Samples => _samples;

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = Sample().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"not a Prometheus sample line: '{line}'");
            }

            var labels = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var number => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            parsed._samples.Add((match.Groups["name"].Value, labels, value));
        }

        return parsed;
    }

    /// <summary>The value of the one sample with this name whose labels include <paramref name="labels"/>; fails when none or several match.</summary>
    public double Value(string name, params (string Key, string Value)[] labels) =>
        Assert.Single(_samples, s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Value;

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[-+]Inf|NaN)( \d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex Label();
}

using System.Diagnostics;
using System.Text;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>One <see cref="MixedCorpus"/> of ~3,000 files per test class (it takes about a minute to make), deleted afterwards.</summary>
public sealed class MixedCorpusFixture : IDisposable
{
    private const int ValidFiles = 2700;
    private readonly TempDirectory _folder = new("enb-mixed");

    public MixedCorpusFixture()
    {
        var clock = Stopwatch.StartNew();
        Corpus = MixedCorpus.Write(_folder.Path, ValidFiles);
        var bad = Corpus.Files.Values.Count(e => !e.Labeled);
        var text = new StringBuilder($"corpus: {Corpus.Files.Count} files ({Corpus.Files.Count - bad} valid, {bad} bad) written in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var kind in Corpus.Files.Values.GroupBy(e => e.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append($"\n  {kind.Key}: {kind.Count()}{(kind.First().Labeled ? "" : $" (must fail at {kind.First().Stage})")}");
        }

        Description = text.ToString();
    }

    internal MixedCorpus Corpus { get; }

    /// <summary>What the corpus holds, for the test log.</summary>
    public string Description { get; }

    public void Dispose() => _folder.Dispose();
}

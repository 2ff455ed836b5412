using System.Text.Json;

namespace EfficientNet.Batch.DeployTests.Images;

/// <summary>A Dockerfile read as instructions grouped by build stage (continuation lines joined, comments dropped).</summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<IReadOnlyList<Instruction>> stages) => Stages = stages;

    /// <summary>Stages in order; instructions before the first FROM (global ARGs) form no stage.</summary>
    public IReadOnlyList<IReadOnlyList<Instruction>> Stages { get; }

    public IReadOnlyList<Instruction> FinalStage => Stages[^1];

    public IEnumerable<Instruction> All => Stages.SelectMany(stage => stage);

    public static Dockerfile Load(string path)
    {
        var stages = new List<List<Instruction>>();
        var logical = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && logical.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                logical += line[..^1] + " ";
                continue;
            }

            logical += line;
            var instruction = Instruction.Parse(logical);
            logical = "";
            if (instruction.Keyword == "FROM")
            {
                stages.Add([]);
            }

            if (stages.Count > 0)
            {
                stages[^1].Add(instruction);
            }
        }

        return new Dockerfile([.. stages]);
    }
}

internal sealed record Instruction(string Keyword, string Arguments)
{
    public static Instruction Parse(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space < 0
            ? new Instruction(line.ToUpperInvariant(), "")
            : new Instruction(line[..space].ToUpperInvariant(), line[(space + 1)..].Trim());
    }

    /// <summary>The exec form (JSON array) of ENTRYPOINT/CMD.</summary>
    public IReadOnlyList<string> ExecForm => JsonSerializer.Deserialize<string[]>(Arguments)
        ?? throw new InvalidOperationException($"{Keyword} is not in exec form: {Arguments}");

    /// <summary>COPY sources (all words but the last, flags dropped).</summary>
    public IReadOnlyList<string> CopySources =>
        Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(word => !word.StartsWith("--", StringComparison.Ordinal)).SkipLast(1).ToList();

    public bool CopiesFromStage => Arguments.Contains("--from=", StringComparison.Ordinal);
}

using System.Text.RegularExpressions;

namespace EfficientNet.Batch.UnitTests.Architecture;

/// <summary>
/// A run's status is written from one folder, src/Scheduler/Runs/ (docs/architecture.md). Reads the source text of
/// src/ (the only file access in the unit tests: it checks the code, not a behaviour).
/// </summary>
public sealed partial class RunStatusWritersTests
{
    /// <summary>The store methods that change a run's status or skip its shards.</summary>
    private static readonly string[] StatusWriters =
        ["SetRunStatusAsync", "EndRunAsync", "SkipRemainingShardsAsync", "RequeueFailedImagesAsync"];

    private static readonly string[] AllowedFolders =
    [
        Path.Combine("src", "Scheduler", "Runs") + Path.DirectorySeparatorChar,
        Path.Combine("src", "Storage", "Runs") + Path.DirectorySeparatorChar,
    ];

    [Fact]
    public void Only_the_runs_folder_calls_the_store_methods_that_change_a_runs_status()
    {
        var root = RepositoryRoot();
        var offenders = SourceFiles(root)
            .Where(file => !AllowedFolders.Any(folder => Path.GetRelativePath(root, file).StartsWith(folder, StringComparison.Ordinal)))
            .SelectMany(file => StatusWriterCalls(File.ReadAllText(file)).Select(call => $"{Path.GetRelativePath(root, file)}: {call}"))
            .ToList();

        Assert.True(offenders.Count == 0, "status-changing store calls outside src/Scheduler/Runs/:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_runs_folder_ends_runs_through_the_one_store_method()
    {
        var runsFolder = Path.Combine(RepositoryRoot(), "src", "Scheduler", "Runs");
        var calls = Directory.EnumerateFiles(runsFolder, "*.cs")
            .SelectMany(file => StatusWriterCalls(File.ReadAllText(file)))
            .ToList();

        Assert.Contains("EndRunAsync", calls);
        Assert.DoesNotContain("SkipRemainingShardsAsync", calls);
    }

    [Fact]
    public void The_scan_finds_a_status_write_written_outside_the_runs_folder()
    {
        var calls = StatusWriterCalls("await runs.SetRunStatusAsync(id, RunStatus.Failed, reason, ct);\nawait store.EndRunAsync (id, s, r, ct);");

        Assert.Equal(["SetRunStatusAsync", "EndRunAsync"], calls);
    }

    private static IEnumerable<string> StatusWriterCalls(string source) =>
        MethodCall().Matches(source).Select(m => m.Groups["name"].Value).Where(StatusWriters.Contains);

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EfficientNet.Batch.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no EfficientNet.Batch.sln above {AppContext.BaseDirectory}: the architecture tests read src/ from the repository");
    }

    /// <summary>A member call: <c>.Name(</c> (a declaration has no dot before its name).</summary>
    [GeneratedRegex(@"\.\s*(?<name>\w+)\s*\(")]
    private static partial Regex MethodCall();
}

using System.CommandLine;
using EfficientNet.Batch.Scheduler.Embeddings;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>Options of the embedding commands (index build, similar, near-duplicates, pseudo-label select's filters).</summary>
public static class EmbeddingOptions
{
    public const string DefaultIndexFolder = "indexes";

    public static Option<string?> Index() => new("--index")
    {
        Description = $"The run's index file (from 'index build'). Default: ./{DefaultIndexFolder}/<run name>.usearch when it exists, else an index built in memory for this command.",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Threads that insert into or search the index (default: processor count).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    /// <summary>The index file a command uses: the given one (which must exist), else the default path when it exists, else none.</summary>
    public static string? IndexPath(string? given, Storage.Runs.RunInfo run)
    {
        if (given is not null)
        {
            CliChecks.Require(File.Exists(given), $"index file not found: {given} (build it with 'enb index build --run {run.Name} --out {given}')");
            return given;
        }

        var fallback = RunEmbeddings.DefaultPath(DefaultIndexFolder, run);
        return File.Exists(fallback) ? fallback : null;
    }

    /// <summary>Runs an embedding step, turning its expected failures into one CLI line (exit code 3).</summary>
    public static async Task<T> Checked<T>(Func<Task<T>> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        try
        {
            return await step();
        }
        catch (Exception e) when (e is IndexMismatchException or EmbeddingsUnavailableException or FileNotFoundException)
        {
            throw new CliException(e.Message);
        }
    }
}

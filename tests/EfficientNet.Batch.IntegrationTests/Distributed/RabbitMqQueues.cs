using System.Diagnostics;
using System.Globalization;

namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// Queue depths from the broker node itself (<c>rabbitmqctl list_queues</c>, through the wrapper scripts/services.sh
/// exports as ENB_RABBITMQCTL): ready + unacked, at most one quorum tick old (1 s with scripts/services.sh, see
/// docs/services.md). The management API's depths are sampled statistics that lag up to ~10 s: a test read 5 messages
/// in process-shard from it after the queue had been drained. Either way callers poll with a deadline.
/// </summary>
public static class RabbitMqQueues
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Messages (ready + unacked) per queue of a virtual host; a queue not declared yet is absent.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> DepthsAsync(string vhost)
    {
        var info = new ProcessStartInfo(ServiceEnvironment.RabbitMqCtl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-q", "list_queues", "-p", vhost, "--no-table-headers", "name", "messages" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rabbitmqctl list_queues -p {vhost} did not answer within {Timeout.TotalSeconds:F0} s");
        }

        var (text, error) = (await stdout, await stderr);
        if (process.ExitCode != 0)
        {
            // Exit 69/75: the node is down or restarting; callers waiting on a depth treat this as "not yet".
            throw new IOException($"rabbitmqctl list_queues -p {vhost} exited with {process.ExitCode}: {error.Trim()}");
        }

        var depths = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var columns = line.Split('\t');
            if (columns.Length == 2 && long.TryParse(columns[1], NumberStyles.None, CultureInfo.InvariantCulture, out var messages))
            {
                depths[columns[0]] = messages;
            }
        }

        return depths;
    }

    public static string Describe(IReadOnlyDictionary<string, long> depths) =>
        depths.Count == 0 ? "no queues" : string.Join(", ", depths.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value}"));
}

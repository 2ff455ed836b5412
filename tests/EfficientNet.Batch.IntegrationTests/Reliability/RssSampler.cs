using System.Diagnostics;
using System.Globalization;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// Samples the resident set size (VmRSS) and its peak (VmHWM, which the kernel keeps exactly, so no spike between
/// samples is missed) of child processes from /proc, every <c>interval</c>, until disposed.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly Dictionary<int, List<(double Seconds, long Bytes)>> _samples = [];
    private readonly Dictionary<int, long> _peaks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RssSampler(IEnumerable<int> pids, TimeSpan interval)
    {
        foreach (var pid in pids)
        {
            _samples[pid] = [];
            _peaks[pid] = 0;
        }

        _loop = SampleAsync(interval);
    }

    /// <summary>(seconds since start, VmRSS bytes) per process; read after <see cref="StopAsync"/>.</summary>
    public IReadOnlyDictionary<int, List<(double Seconds, long Bytes)>> Samples => _samples;

    /// <summary>The highest VmHWM read per process: its peak RSS up to the last sample.</summary>
    public IReadOnlyDictionary<int, long> Peaks => _peaks;

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    /// <summary>Least-squares slope of RSS over time, in MB per minute, over the samples at or after <paramref name="fromFraction"/> of the run.</summary>
    public static double SlopeMbPerMinute(IReadOnlyList<(double Seconds, long Bytes)> samples, double fromFraction)
    {
        if (samples.Count < 3)
        {
            return 0;
        }

        var start = samples[0].Seconds + ((samples[^1].Seconds - samples[0].Seconds) * fromFraction);
        var tail = samples.Where(s => s.Seconds >= start).ToList();
        var meanX = tail.Average(s => s.Seconds);
        var meanY = tail.Average(s => (double)s.Bytes);
        var covariance = tail.Sum(s => (s.Seconds - meanX) * (s.Bytes - meanY));
        var variance = tail.Sum(s => (s.Seconds - meanX) * (s.Seconds - meanX));
        return variance == 0 ? 0 : covariance / variance * 60 / 1e6;
    }

    /// <summary>"t=0s 212 MB, t=10s 301 MB, ...": about <paramref name="points"/> evenly spaced samples, for the test log.</summary>
    public static string Describe(IReadOnlyList<(double Seconds, long Bytes)> samples, int points = 12)
    {
        if (samples.Count == 0)
        {
            return "no samples";
        }

        var step = Math.Max(1, samples.Count / points);
        return string.Join(", ", samples.Where((_, i) => i % step == 0 || i == samples.Count - 1)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"t={s.Seconds:F0}s {s.Bytes / 1e6:F0} MB")));
    }

    private async Task SampleAsync(TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        while (!_stop.IsCancellationRequested)
        {
            foreach (var pid in _samples.Keys)
            {
                if (Read(pid) is { } status)
                {
                    _samples[pid].Add((clock.Elapsed.TotalSeconds, status.Rss));
                    _peaks[pid] = Math.Max(_peaks[pid], status.Hwm);
                }
            }

            try
            {
                await Task.Delay(interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private static (long Rss, long Hwm)? Read(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null; // exited
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        long Field(string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } line
                ? long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024
                : 0;
        return (Field("VmRSS:"), Field("VmHWM:"));
    }
}

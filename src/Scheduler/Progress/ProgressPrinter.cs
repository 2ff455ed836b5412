using System.Diagnostics;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Progress;

/// <summary>
/// Shows images done, rate and ETA on stderr: one redrawn line on a terminal, a plain line every few seconds
/// otherwise (CI logs).
/// </summary>
public sealed class ProgressPrinter(CliConsole console) : IProgress<RunProgress>
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastPlain;
    private int _lastWidth;
    private long? _firstDone;

    public void Report(RunProgress value)
    {
        // The rate counts only what was done while we watched, so following a run that is half done reads right.
        _firstDone ??= value.Done;
        var line = Format(value, value.Done - _firstDone.Value, _clock.Elapsed);
        if (console.IsInteractive)
        {
            console.Error.Write("\r" + line.PadRight(_lastWidth));
            _lastWidth = line.Length;
        }
        else if (_lastPlain is null || _clock.Elapsed - _lastPlain >= PlainInterval)
        {
            console.Error.WriteLine(line);
            _lastPlain = _clock.Elapsed;
        }
    }

    /// <summary>Ends the redrawn line so that what follows starts on its own line.</summary>
    public void Complete()
    {
        if (console.IsInteractive && _lastWidth > 0)
        {
            console.Error.WriteLine();
        }
    }

    public static string Format(RunProgress p, long doneWhileWatching, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? doneWhileWatching / elapsed.TotalSeconds : 0;
        var remaining = p.TotalImages - p.Done;
        var eta = rate > 0 && remaining > 0 ? TimeSpan.FromSeconds(remaining / rate).ToString(@"h\:mm\:ss") : "-";
        var percent = p.TotalImages > 0 ? (double)p.Done / p.TotalImages : 0;
        return $"{p.Done}/{p.TotalImages} images ({percent:P0}) | {p.Succeeded} ok, {p.Failed} failed | {rate:F1} images/s | ETA {eta}";
    }
}

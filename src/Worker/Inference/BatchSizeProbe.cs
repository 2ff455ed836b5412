using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// <c>--batch-size auto</c>: times the candidate batch sizes on the session's own device at startup and picks the one
/// with the best images per second, preferring the smaller size when a larger one gains less than
/// <see cref="MinGain"/> (a bigger batch costs latency and memory). Candidates: powers of two up to 32 on CPU (more
/// only adds memory there: EfficientNet-B0 on 2 cores ran fastest per image at batch 8, slower at 32 and 64), up to 512 on CUDA.
/// </summary>
internal static class BatchSizeProbe
{
    private const double MinGain = 0.05;
    private const int Windows = 3;
    private static readonly TimeSpan MinWindow = TimeSpan.FromMilliseconds(100);

    public static int Choose(OnnxModelSession session, ILogger logger)
    {
        var largest = session.ExecutionProvider.StartsWith("CUDA", StringComparison.Ordinal) ? 512 : 32;
        var best = (Size: 0, Rate: 0.0);
        var rates = new List<string>();
        for (var size = 1; size <= largest; size *= 2)
        {
            double rate;
            try
            {
                rate = Measure(session, size);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e) when (best.Size > 0)
            {
                // Out of device memory (a smaller GPU, Inference:GpuMemLimitBytes): the limit caps the probe, it does not fail the load.
                rates.Add($"{size}: failed ({e.Message.Split('\n')[0]})");
                break;
            }
            finally
            {
                session.Release(size);
            }

            rates.Add($"{size}: {rate:F0}/s");
            if (rate > best.Rate * (1 + MinGain))
            {
                best = (size, rate);
            }
            else if (size >= 4 * best.Size)
            {
                break; // two doublings without a worthwhile gain: larger sizes only cost memory
            }
        }

        logger.LogInformation("Batch size probe on {ExecutionProvider}: {Rates}; chose {BatchSize}",
            session.ExecutionProvider, string.Join(", ", rates), best.Size);
        return best.Size;
    }

    /// <summary>
    /// The best of a few short windows: other processes on the node can only slow a window down, so the fastest one
    /// is the closest to what the device does.
    /// </summary>
    private static double Measure(OnnxModelSession session, int size)
    {
        session.InputFor(size).Fill(0.5f);
        session.Run(size); // first run of a shape: allocation and (CUDA) cuDNN algorithm search
        var best = 0.0;
        for (var window = 0; window < Windows; window++)
        {
            var runs = 0;
            var clock = Stopwatch.StartNew();
            while (runs < 1 || clock.Elapsed < MinWindow)
            {
                session.Run(size);
                runs++;
            }

            best = Math.Max(best, runs * size / clock.Elapsed.TotalSeconds);
        }

        return best;
    }
}

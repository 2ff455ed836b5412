using System.Diagnostics;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests;

/// <summary>
/// Waits for a value that settles later (a queue depth, a counter, a lease, a row another process writes): polls it
/// until it satisfies the condition or the deadline passes, then fails naming what was awaited and the last value
/// seen. One read of such a value is a race that a loaded machine loses; a wait without a deadline hangs CI.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Reads the value until <paramref name="done"/> holds and returns it. Errors of a service that is restarting
    /// (the fault tests restart them) count as "not yet" and are shown as the last value.
    /// </summary>
    public static async Task<T> WaitUntilAsync<T>(
        string what, Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<T, string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        var last = "nothing read yet";
        while (true)
        {
            try
            {
                var value = await read();
                if (done(value))
                {
                    return value;
                }

                last = describe is null ? value?.ToString() ?? "null" : describe(value);
            }
            catch (Exception e) when (IsTransient(e))
            {
                last = $"{e.GetType().Name}: {e.Message}";
                if (e is NpgsqlException)
                {
                    NpgsqlConnection.ClearAllPools();
                }
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"{what}: not within {timeout.TotalSeconds:F0} s; last value: {last}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Polls a condition; <paramref name="describe"/> says what was seen when it fails (e.g. the last counts and a process's output).</summary>
    public static Task WaitUntilAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null) =>
        WaitUntilAsync(what, condition, holds => holds, timeout, _ => describe?.Invoke() ?? "false");

    private static bool IsTransient(Exception e) =>
        e is NpgsqlException or HttpRequestException or TaskCanceledException or TimeoutException or IOException;
}
